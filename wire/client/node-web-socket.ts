// The client's WebSocket under Node: RFC 6455, client side, binary messages, no extensions.
//
// Hand-written rather than the `ws` package because the client's CPU per op is a benchmark target
// (issue 10: ours at most ioredis's, auto-pipelining off). ws costs, per message: a Writable
// stream pass for every TCP read (Receiver), a Buffer for every message and header, an
// EventEmitter emit, and Buffer.concat when a message spans reads. Profiled under `npm run bench`
// (cdn, 50×1, no auto-pipelining) ws took ~5 % of the generator's busy CPU, plus its share of
// stream bookkeeping and GC. Here:
//   - a plain ws:// socket reads into one reused buffer (net's `onread`): no Buffer and no stream
//     pass per read; wss:// reads through the TLS socket's 'data' events;
//   - a message is handed to the listener as a view of the bytes it arrived in, valid only during
//     the call (the client decodes it there and copies out what it keeps: decodeServerFrame's
//     `borrowed`); only a message split across reads, or fragmented, is copied, into a reused
//     buffer;
//   - a frame is sent as one Buffer: header and masked payload, masked four bytes at a time.
// Browsers keep their own WebSocket, and options.WebSocket (a caller's socket) is still used as
// given (web-socket.ts): this class is loaded only under Node, lazily, so bundles never load
// net/tls/crypto (they are required where used, not imported).
//
// States (readyState), as the WebSocket standard numbers them:
//   CONNECTING(0) ──101 + valid Sec-WebSocket-Accept──► OPEN(1) ──close() or close frame──► CLOSING(2)
//        │                                                 │                                    │
//        └── refused upgrade, TCP/TLS error ───────────────┴──────── socket closed ─────────────┴─► CLOSED(3)
// onclose fires once, after the TCP socket has closed: with the close frame's code and reason,
// 1005 for a close frame without a code, 1006 when the connection ended without a close frame.

import type { Socket } from 'node:net';
import type { SocketCloseEvent, SocketLike, SocketMessageEvent } from './web-socket';

/** ws's default maxPayload: a larger message closes the connection with 1009. */
export const messageBytesMax = 100 * 1024 * 1024;
/** The upgrade response's status line and headers at most. */
const handshakeBytesMax = 16 * 1024;
/** Bytes read per TCP read on ws:// (a reused buffer; a larger message is gathered across reads). */
const readBufferBytes = 64 * 1024;
/** A gathering buffer larger than this is dropped once empty (it grew for one large message). */
const pendingBytesRetainedMax = 1024 * 1024;
/** After close(), the server has this long to close the TCP connection before it is destroyed. */
const closeWaitMs = 5_000;
/** The GUID of RFC 6455 section 1.3, appended to the key for Sec-WebSocket-Accept. */
const acceptGuid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** Random masking keys are drawn from a pool refilled this many bytes at a time (as ws does). */
const maskPoolBytes = 8 * 1024;

const opcodeContinuation = 0x0;
const opcodeText = 0x1;
const opcodeBinary = 0x2;
const opcodeClose = 0x8;
const opcodePing = 0x9;
const opcodePong = 0xa;

/** Close codes (RFC 6455 section 7.4.1). */
export const closeCode = {
  normal: 1000,
  protocolError: 1002,
  noStatus: 1005,
  abnormal: 1006,
  tooBig: 1009,
} as const;

const stateConnecting = 0;
const stateOpen = 1;
const stateClosing = 2;
const stateClosed = 3;

export interface NodeWebSocketOptions {
  /** Extra upgrade request headers (Authorization). */
  headers?: Record<string, string>;
  /** PEM certificate(s) to trust for wss://. */
  ca?: string | Uint8Array;
}

let maskPool: Buffer | null = null;
let maskPoolUsed = maskPoolBytes;

/** A random 32-bit masking key (RFC 6455 section 5.3: unpredictable, from a strong source). */
function nextMaskKey(): number {
  if (maskPoolUsed === maskPoolBytes || maskPool === null) {
    const crypto = require('node:crypto') as typeof import('node:crypto');
    maskPool ??= Buffer.allocUnsafe(maskPoolBytes);
    crypto.randomFillSync(maskPool);
    maskPoolUsed = 0;
  }
  const key = maskPool.readInt32BE(maskPoolUsed);
  maskPoolUsed += 4;
  return key;
}

/**
 * Frames are carved one after another out of a shared slab, as Node's Buffer pool does below
 * 4 KiB: a slab is never written twice, so a frame still queued in a socket stays intact, and a
 * 4 KiB put costs a view rather than an ArrayBuffer of its own (Buffer.allocUnsafe makes one per
 * frame above 4 KiB: `createUnsafeBuffer` was 1.7 % of the generator's busy time under cms).
 */
const sendSlabBytes = 256 * 1024;
/** Frames larger than this get an ArrayBuffer of their own. */
const slabFrameBytesMax = 64 * 1024;
let sendSlab = new ArrayBuffer(sendSlabBytes);
let sendSlabUsed = 0;

/**
 * `total` bytes for a frame whose payload starts `headerBytes` in, placed so that the payload is
 * 4-aligned in its ArrayBuffer (see maskPayload).
 */
function frameBytes(headerBytes: number, total: number): Uint8Array {
  if (total > slabFrameBytesMax) return new Uint8Array(new ArrayBuffer(total + 3), (4 - (headerBytes & 3)) & 3, total);
  let start = sendSlabUsed + ((4 - ((sendSlabUsed + headerBytes) & 3)) & 3);
  if (start + total > sendSlabBytes) {
    sendSlab = new ArrayBuffer(sendSlabBytes);
    start = (4 - (headerBytes & 3)) & 3;
  }
  sendSlabUsed = start + total;
  return new Uint8Array(sendSlab, start, total);
}

/**
 * One client frame: FIN, the opcode, the masked payload. `payload` is copied, so the caller may
 * reuse its bytes at once (the client hands over a view of its reused encoder).
 */
export function encodeClientFrame(opcode: number, payload: Uint8Array, maskKey: number): Uint8Array {
  const length = payload.byteLength;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const headerBytes = 2 + lengthBytes + 4;
  const frame = frameBytes(headerBytes, headerBytes + length);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) {
    frame[1] = 0x80 | length;
  } else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame[2] = length >>> 8;
    frame[3] = length & 0xff;
  } else {
    frame[1] = 0x80 | 127;
    const high = Math.floor(length / 2 ** 32);
    for (let index = 0; index < 4; index++) {
      frame[2 + index] = (high >>> (24 - 8 * index)) & 0xff;
      frame[6 + index] = (length >>> (24 - 8 * index)) & 0xff;
    }
  }
  const keyAt = headerBytes - 4;
  for (let index = 0; index < 4; index++) frame[keyAt + index] = (maskKey >>> (24 - 8 * index)) & 0xff;
  frame.set(payload, headerBytes);
  maskPayload(frame, headerBytes, length);
  return frame;
}

/** Payloads shorter than this are masked a byte at a time (no Int32Array view for a few words). */
const wordMaskBytesMin = 64;

/**
 * XORs frame[start, start+length) with the masking key that sits in the four bytes before it,
 * repeated. With the payload 4-aligned in its ArrayBuffer, one Int32Array view over key and
 * payload masks a word at a time in either byte order (the key is read as a word of the same
 * view). Measured on 4 KiB: 0.7 µs this way, 18 µs through Buffer#readInt32BE/writeInt32BE,
 * 0.2 µs in ws's native bufferutil (an optional native module we do not require).
 */
export function maskPayload(frame: Uint8Array, start: number, length: number): void {
  const base = frame.byteOffset + start;
  let position = start;
  if (length >= wordMaskBytesMin && (base & 3) === 0) {
    const words = length >>> 2;
    const view = new Int32Array(frame.buffer, base - 4, words + 1);
    const key = view[0]!;
    for (let index = 1; index <= words; index++) view[index]! ^= key;
    position += 4 * words;
  }
  for (let index = position - start; position < start + length; position++, index++) frame[position]! ^= frame[start - 4 + (index & 3)]!;
}

export class NodeWebSocket implements SocketLike {
  static readonly CONNECTING = stateConnecting;
  static readonly OPEN = stateOpen;
  static readonly CLOSING = stateClosing;
  static readonly CLOSED = stateClosed;

  /** Only 'nodebuffer' is meaningful here: messages are Uint8Array views. */
  binaryType = 'nodebuffer';
  onopen: ((event: unknown) => void) | null = null;
  /** Each message as an event object (the standard's shape); onmessagedata skips that object. */
  onmessage: ((event: SocketMessageEvent) => void) | null = null;
  /** Each message's bytes, a view valid during the call only; null for a text message. */
  onmessagedata: ((data: Uint8Array | null) => void) | null = null;
  onclose: ((event: SocketCloseEvent) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  #state = stateConnecting;
  readonly #socket: Socket;
  readonly #expectedAccept: string;
  /** The upgrade response gathered so far (CONNECTING only). */
  #handshake = '';
  /** Bytes of a frame split across reads, gathered here (copied out of the read buffer). */
  #pending: Buffer = Buffer.alloc(0);
  #pendingBytes = 0;
  /** The message being assembled from fragments (first frame without FIN, then continuations). */
  #fragments: Buffer[] = [];
  #fragmentBytes = 0;
  #fragmentOpcode = -1;
  #closeSent = false;
  #closeEvent: SocketCloseEvent = { code: closeCode.abnormal, reason: '' };
  #closeTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(url: string, _protocols?: string[], options: NodeWebSocketOptions = {}) {
    const target = new URL(url);
    const secure = target.protocol === 'wss:' || target.protocol === 'https:';
    if (!secure && target.protocol !== 'ws:' && target.protocol !== 'http:') throw new SyntaxError(`the URL's protocol must be ws: or wss:, got ${target.protocol}`);
    if (target.hash !== '') throw new SyntaxError('the URL must not have a fragment');
    const headers = options.headers ?? {};
    for (const [name, value] of Object.entries(headers)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || !/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) throw new TypeError(`invalid character in header ${name}`);
    }
    const crypto = require('node:crypto') as typeof import('node:crypto');
    const key = crypto.randomBytes(16).toString('base64');
    this.#expectedAccept = crypto.createHash('sha1').update(key + acceptGuid).digest('base64');
    const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname;
    const port = target.port === '' ? (secure ? 443 : 80) : Number(target.port);
    let request = `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
    for (const [name, value] of Object.entries(headers)) request += `${name}: ${value}\r\n`;
    request += '\r\n';
    if (secure) {
      const tls = require('node:tls') as typeof import('node:tls');
      const net = require('node:net') as typeof import('node:net');
      const tlsOptions: import('node:tls').ConnectionOptions = { host, port };
      if (!net.isIP(host)) tlsOptions.servername = host;
      if (options.ca !== undefined) tlsOptions.ca = typeof options.ca === 'string' ? options.ca : Buffer.from(options.ca);
      this.#socket = tls.connect(tlsOptions);
      this.#socket.on('data', (chunk: Buffer) => this.#onBytes(chunk, chunk.length));
    } else {
      const net = require('node:net') as typeof import('node:net');
      // One read buffer for the socket's life: each read lands in it, and is parsed before the next.
      this.#socket = net.connect({ host, port, onread: { buffer: Buffer.allocUnsafe(readBufferBytes), callback: (bytes: number, buffer: Uint8Array) => this.#onRead(buffer, bytes) } });
    }
    this.#socket.setNoDelay(true);
    this.#socket.write(request);
    this.#socket.on('error', (error) => this.onerror?.(error));
    this.#socket.on('close', () => this.#onSocketClosed());
  }

  get readyState(): number {
    return this.#state;
  }

  /** Sends one binary message (copied: `data` may be reused at once). */
  send(data: Uint8Array): void {
    if (this.#state === stateConnecting) throw new Error('WebSocket is not open: readyState 0 (CONNECTING)');
    if (this.#state !== stateOpen) return; // as ws: data sent after close is dropped
    this.#socket.write(encodeClientFrame(opcodeBinary, data, nextMaskKey()));
  }

  /** Starts the closing handshake (or abandons a connection still opening). */
  close(code: number = closeCode.normal, reason = ''): void {
    if (this.#state === stateClosed || this.#state === stateClosing) return;
    if (this.#state === stateConnecting) {
      this.#state = stateClosing;
      this.#socket.destroy();
      return;
    }
    this.#state = stateClosing;
    this.#sendClose(code, reason);
    this.#closeTimer = setTimeout(() => this.#socket.destroy(), closeWaitMs);
    this.#closeTimer.unref();
  }

  /** net's onread callback: true keeps reading. */
  #onRead(buffer: Uint8Array, length: number): boolean {
    this.#onBytes(buffer, length);
    return true;
  }

  /** A TCP read (or a TLS 'data' chunk): `length` bytes at the start of `buffer`. */
  #onBytes(buffer: Uint8Array, length: number): void {
    if (this.#state === stateClosed) return;
    let start = 0;
    if (this.#state === stateConnecting) {
      start = this.#readHandshake(buffer, length);
      if (start < 0) return;
    }
    if (this.#pendingBytes > 0) {
      this.#appendPending(buffer, start, length);
      const used = this.#parseFrames(this.#pending, 0, this.#pendingBytes);
      this.#pending.copyWithin(0, used, this.#pendingBytes);
      this.#pendingBytes -= used;
      // A buffer grown for one large message is not kept for the connection's life.
      if (this.#pendingBytes === 0 && this.#pending.length > pendingBytesRetainedMax) this.#pending = Buffer.alloc(0);
      return;
    }
    const used = this.#parseFrames(buffer, start, length);
    if (used < length) this.#appendPending(buffer, used, length);
  }

  /** Gathers the upgrade response; returns where frames start, or -1 (incomplete, or failed). */
  #readHandshake(buffer: Uint8Array, length: number): number {
    const before = this.#handshake.length;
    this.#handshake += Buffer.from(buffer.buffer, buffer.byteOffset, length).toString('latin1');
    const end = this.#handshake.indexOf('\r\n\r\n');
    if (end < 0) {
      if (this.#handshake.length > handshakeBytesMax) this.#fail(new Error('the upgrade response headers are too large'));
      return -1;
    }
    const failure = checkUpgradeResponse(this.#handshake.slice(0, end), this.#expectedAccept);
    if (failure !== null) {
      this.#fail(new Error(failure));
      return -1;
    }
    this.#handshake = '';
    this.#state = stateOpen;
    this.onopen?.({ type: 'open' });
    if (this.#state !== stateOpen) return -1; // closed by the open handler
    return end + 4 - before;
  }

  /** Parses whole frames in bytes[start, end); returns where the first incomplete one starts. */
  #parseFrames(bytes: Uint8Array, start: number, end: number): number {
    let position = start;
    while (position + 2 <= end && this.#state !== stateClosed) {
      const first = bytes[position]!;
      const second = bytes[position + 1]!;
      let payloadLength = second & 0x7f;
      let headerBytes = 2;
      if (payloadLength === 126) {
        if (position + 4 > end) break;
        payloadLength = (bytes[position + 2]! << 8) | bytes[position + 3]!;
        headerBytes = 4;
      } else if (payloadLength === 127) {
        if (position + 10 > end) break;
        const high = ((bytes[position + 2]! << 24) | (bytes[position + 3]! << 16) | (bytes[position + 4]! << 8) | bytes[position + 5]!) >>> 0;
        const low = ((bytes[position + 6]! << 24) | (bytes[position + 7]! << 16) | (bytes[position + 8]! << 8) | bytes[position + 9]!) >>> 0;
        if (high > 0x1fffff) return this.#protocolFailure(closeCode.tooBig, 'message too big', end);
        payloadLength = high * 2 ** 32 + low;
        headerBytes = 10;
      }
      if ((first & 0x70) !== 0) return this.#protocolFailure(closeCode.protocolError, 'RSV bits set without an extension', end);
      if ((second & 0x80) !== 0) return this.#protocolFailure(closeCode.protocolError, 'a server frame must not be masked', end);
      const opcode = first & 0x0f;
      const fin = (first & 0x80) !== 0;
      if (opcode >= 0x8 && (!fin || payloadLength > 125)) return this.#protocolFailure(closeCode.protocolError, 'control frame fragmented or over 125 bytes', end);
      if (opcode < 0x8 && this.#fragmentBytes + payloadLength > messageBytesMax) return this.#protocolFailure(closeCode.tooBig, 'message too big', end);
      if (position + headerBytes + payloadLength > end) break;
      // A plain Uint8Array view (not a Buffer, whose slice() is a view too): a listener's
      // payload.slice() must be a copy, since the bytes under it are reused by the next read.
      const payload = new Uint8Array(bytes.buffer, bytes.byteOffset + position + headerBytes, payloadLength);
      position += headerBytes + payloadLength;
      if (!this.#frame(opcode, fin, payload)) return end;
    }
    return position;
  }

  /** One whole frame; false once the connection is failing (the rest of the read is dropped). */
  #frame(opcode: number, fin: boolean, payload: Uint8Array): boolean {
    switch (opcode) {
      case opcodeBinary:
      case opcodeText:
        if (this.#fragmentOpcode >= 0) return this.#protocolFailure(closeCode.protocolError, 'a new message inside a fragmented one', 0) < 0;
        if (fin) {
          this.#deliver(opcode, payload);
          return true;
        }
        this.#fragmentOpcode = opcode;
        this.#addFragment(payload);
        return true;
      case opcodeContinuation: {
        if (this.#fragmentOpcode < 0) return this.#protocolFailure(closeCode.protocolError, 'a continuation without a message', 0) < 0;
        this.#addFragment(payload);
        if (!fin) return true;
        const joined = Buffer.concat(this.#fragments, this.#fragmentBytes);
        const message = new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength); // not a Buffer: see #parseFrames
        const messageOpcode = this.#fragmentOpcode;
        this.#fragments = [];
        this.#fragmentBytes = 0;
        this.#fragmentOpcode = -1;
        this.#deliver(messageOpcode, message);
        return true;
      }
      case opcodePing:
        if (this.#state === stateOpen) this.#socket.write(encodeClientFrame(opcodePong, payload, nextMaskKey()));
        return true;
      case opcodePong:
        return true;
      case opcodeClose:
        this.#closeFrameReceived(payload);
        return false;
      default:
        return this.#protocolFailure(closeCode.protocolError, `unknown opcode ${opcode}`, 0) < 0;
    }
  }

  #deliver(opcode: number, payload: Uint8Array): void {
    if (this.#state !== stateOpen) return;
    const data = opcode === opcodeBinary ? payload : null;
    if (this.onmessagedata !== null) this.onmessagedata(data);
    else this.onmessage?.({ data: opcode === opcodeBinary ? payload : Buffer.from(payload).toString('utf8') });
  }

  /** A fragment is copied: the read buffer it lies in is reused by the next read. */
  #addFragment(payload: Uint8Array): void {
    this.#fragments.push(Buffer.from(payload));
    this.#fragmentBytes += payload.byteLength;
  }

  #appendPending(buffer: Uint8Array, start: number, end: number): void {
    const needed = this.#pendingBytes + (end - start);
    if (needed > this.#pending.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.#pending.length, 4096));
      this.#pending.copy(grown, 0, 0, this.#pendingBytes);
      this.#pending = grown;
    }
    this.#pending.set(buffer.subarray(start, end), this.#pendingBytes);
    this.#pendingBytes = needed;
  }

  #closeFrameReceived(payload: Uint8Array): void {
    let code: number = closeCode.noStatus;
    let reason = '';
    if (payload.byteLength >= 2) {
      code = (payload[0]! << 8) | payload[1]!;
      reason = Buffer.from(payload.buffer, payload.byteOffset + 2, payload.byteLength - 2).toString('utf8');
    }
    this.#closeEvent = { code, reason };
    if (this.#state === stateOpen) {
      this.#state = stateClosing;
      // Echo the code (RFC 6455 section 5.5.1); then the server closes the TCP connection.
      this.#sendClose(code === closeCode.noStatus ? -1 : code, '');
    }
    this.#socket.end();
    if (this.#closeTimer === null) {
      this.#closeTimer = setTimeout(() => this.#socket.destroy(), closeWaitMs);
      this.#closeTimer.unref();
    }
  }

  /** code -1: a close frame without a body. */
  #sendClose(code: number, reason: string): void {
    if (this.#closeSent) return;
    this.#closeSent = true;
    let body: Buffer;
    if (code < 0) body = Buffer.alloc(0);
    else {
      const reasonBytes = Buffer.from(reason, 'utf8').subarray(0, 123);
      body = Buffer.allocUnsafe(2 + reasonBytes.length);
      body.writeUInt16BE(code, 0);
      reasonBytes.copy(body, 2);
    }
    this.#socket.write(encodeClientFrame(opcodeClose, body, nextMaskKey()));
  }

  /**
   * The server broke the protocol: close with `code` and drop the connection. Returns `consumed`,
   * so a parse loop can return it (the rest of the read is dropped).
   */
  #protocolFailure(code: number, message: string, consumed: number): number {
    this.onerror?.(new Error(message));
    if (this.#state === stateOpen) {
      this.#state = stateClosing;
      this.#sendClose(code, message);
    }
    this.#closeEvent = { code, reason: message };
    this.#socket.end();
    if (this.#closeTimer === null) {
      this.#closeTimer = setTimeout(() => this.#socket.destroy(), closeWaitMs);
      this.#closeTimer.unref();
    }
    return consumed;
  }

  /** The upgrade failed: error, then close (1006) once the socket is gone. */
  #fail(error: Error): void {
    this.#state = stateClosing;
    this.onerror?.(error);
    this.#socket.destroy();
  }

  #onSocketClosed(): void {
    if (this.#state === stateClosed) return;
    this.#state = stateClosed;
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    this.#closeTimer = null;
    this.onclose?.(this.#closeEvent);
  }
}

/** null when the 101 response accepts our upgrade, else why not. */
export function checkUpgradeResponse(head: string, expectedAccept: string): string | null {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '');
  if (status === null) return 'the upgrade response is not HTTP/1.1';
  if (status[1] !== '101') return `Unexpected server response: ${status[1]}`;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  if (headers.get('upgrade')?.toLowerCase() !== 'websocket') return 'Invalid Upgrade header';
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(headers.get('connection') ?? '')) return 'Invalid Connection header';
  if (headers.get('sec-websocket-accept') !== expectedAccept) return 'Invalid Sec-WebSocket-Accept header';
  if (headers.has('sec-websocket-extensions')) return 'Server sent a Sec-WebSocket-Extensions header but no extension was requested';
  if (headers.has('sec-websocket-protocol')) return 'Server sent a subprotocol but none was requested';
  return null;
}
