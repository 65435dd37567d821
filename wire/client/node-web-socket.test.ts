// The client's Node WebSocket (node-web-socket.ts) against a scripted server on 127.0.0.1: the
// upgrade (Sec-WebSocket-Accept checked, headers sent), framing both ways (7-bit, 16-bit and 64-bit
// lengths, masking), fragmented messages, frames split across TCP reads, ping/pong, the closing
// handshake both ways, and the failures (refused upgrade, bad accept, masked or oversized frames).

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { after, before, test } from 'node:test';
import { closeCode, encodeClientFrame, maskPayload, NodeWebSocket } from './node-web-socket';
import type { SocketCloseEvent } from './web-socket';

const acceptGuid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** One accepted connection, seen from the server side: its request head and its parsed frames. */
interface ServerSide {
  socket: net.Socket;
  head: string;
  /** Frames the client sent, unmasked, in order. */
  frames: { opcode: number; fin: boolean; masked: boolean; payload: Buffer }[];
  /** Resolves when at least `count` frames have arrived. */
  framesArrived(count: number): Promise<void>;
}

type Answer = (key: string) => string;
const accepting: Answer = (key) =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${createHash('sha1').update(key + acceptGuid).digest('base64')}\r\n\r\n`;

let server: net.Server;
let port: number;
let answer: Answer = accepting;
let connections: ((side: ServerSide) => void)[] = [];

before(async () => {
  server = net.createServer((socket) => serve(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function serve(socket: net.Socket): void {
  socket.setNoDelay(true);
  let buffered = Buffer.alloc(0);
  let side: ServerSide | null = null;
  const waiters: { count: number; resolve: () => void }[] = [];
  const frames: ServerSide['frames'] = [];
  const wake = (): void => {
    for (const waiter of waiters.splice(0)) {
      if (frames.length >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (side === null) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString('latin1');
      buffered = buffered.subarray(end + 4);
      const key = /sec-websocket-key: (.*)/i.exec(head)?.[1] ?? '';
      socket.write(answer(key));
      side = {
        socket,
        head,
        frames,
        framesArrived: (count) => new Promise((resolve) => {
          waiters.push({ count, resolve });
          wake();
        }),
      };
      connections.shift()?.(side);
    }
    for (;;) {
      const frame = parseClientFrame(buffered);
      if (frame === null) break;
      frames.push(frame.frame);
      buffered = buffered.subarray(frame.bytes);
    }
    wake();
  });
}

function parseClientFrame(bytes: Buffer): { frame: ServerSide['frames'][number]; bytes: number } | null {
  if (bytes.length < 2) return null;
  let length = bytes[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return null;
    length = bytes.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return null;
    length = Number(bytes.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (bytes[1]! & 0x80) !== 0;
  const keyAt = offset;
  if (masked) offset += 4;
  if (bytes.length < offset + length) return null;
  const payload = Buffer.from(bytes.subarray(offset, offset + length));
  if (masked) for (let index = 0; index < length; index++) payload[index]! ^= bytes[keyAt + (index & 3)]!;
  return { frame: { opcode: bytes[0]! & 0x0f, fin: (bytes[0]! & 0x80) !== 0, masked, payload }, bytes: offset + length };
}

/** A server frame (unmasked, as RFC 6455 requires of servers). */
function serverFrame(opcode: number, payload: Uint8Array, fin = true): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0, length]) : length < 65536 ? Buffer.from([0, 126, length >> 8, length & 0xff]) : Buffer.alloc(10);
  if (length >= 65536) {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  header[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([header, payload]);
}

interface Opened {
  socket: NodeWebSocket;
  side: ServerSide;
  messages: (Uint8Array | null)[];
  closed: Promise<SocketCloseEvent>;
  /** Resolves when at least `count` messages have arrived. */
  messagesArrived(count: number): Promise<void>;
}

function open(options: ConstructorParameters<typeof NodeWebSocket>[2] = {}): Promise<Opened> {
  const sideReady = new Promise<ServerSide>((resolve) => connections.push(resolve));
  const socket = new NodeWebSocket(`ws://127.0.0.1:${port}/v1/ws?x=1`, undefined, options);
  const messages: (Uint8Array | null)[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  socket.onmessagedata = (data) => {
    // A plain Uint8Array, so that a listener's slice() copies (a Buffer's would be a view).
    assert.ok(data === null || !Buffer.isBuffer(data), 'messages are not Buffers');
    // The view is valid during the call only: keep a copy.
    messages.push(data === null ? null : data.slice());
    for (const waiter of waiters.splice(0)) {
      if (messages.length >= waiter.count) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  const closed = new Promise<SocketCloseEvent>((resolve) => {
    socket.onclose = resolve;
  });
  return new Promise((resolve, reject) => {
    socket.onopen = () => {
      void sideReady.then((side) =>
        resolve({
          socket,
          side,
          messages,
          closed,
          messagesArrived: (count) => new Promise((done) => {
            if (messages.length >= count) done();
            else waiters.push({ count, resolve: done });
          }),
        }),
      );
    };
    void closed.then((event) => reject(new Error(`closed before open: ${event.code}`)));
  });
}

/** The closing handshake from the client, answered as a server does: echo, then end the connection. */
async function closeFromClient(opened: Opened): Promise<SocketCloseEvent> {
  const before = opened.side.frames.length;
  opened.socket.close(1000, 'done');
  await opened.side.framesArrived(before + 1);
  const frame = opened.side.frames[before]!;
  assert.equal(frame.opcode, 0x8);
  opened.side.socket.end(serverFrame(0x8, frame.payload));
  return opened.closed;
}

function bytesOf(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (index * 31 + seed) & 0xff;
  return bytes;
}

test('maskPayload matches the byte-wise mask of RFC 6455 for every length and alignment', () => {
  let seed = 0x2545f491;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  for (let length = 0; length < 300; length++) {
    for (const start of [4, 5, 6, 7, 8]) {
      const key = [random() & 0xff, random() & 0xff, random() & 0xff, random() & 0xff];
      const bytes = Buffer.alloc(start + length);
      bytes.set(bytesOf(length, length), start);
      bytes.set(key, start - 4);
      const expected = Buffer.from(bytes);
      for (let index = 0; index < length; index++) expected[start + index]! ^= key[index & 3]!;
      maskPayload(bytes, start, length);
      assert.deepEqual(bytes, expected, `length ${length} start ${start}`);
    }
  }
});

test('encodeClientFrame writes 7-bit, 16-bit and 64-bit lengths, masked, FIN set', () => {
  for (const length of [0, 1, 63, 64, 65, 125, 126, 127, 1021, 4096, 65535, 65536, 70000]) {
    const payload = bytesOf(length, 7);
    const encoded = encodeClientFrame(0x2, payload, (0x01020304 * (length + 1)) | 0);
    const frame = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    const parsed = parseClientFrame(frame);
    assert.ok(parsed !== null);
    assert.equal(parsed.bytes, frame.length);
    assert.equal(parsed.frame.opcode, 0x2);
    assert.equal(parsed.frame.fin, true);
    assert.equal(parsed.frame.masked, true);
    assert.deepEqual(new Uint8Array(parsed.frame.payload), payload, `length ${length}`);
    const lengthField = frame[1]! & 0x7f;
    assert.equal(lengthField, length < 126 ? length : length < 65536 ? 126 : 127);
  }
});

test('a frame keeps its bytes while later frames are encoded (the slab is never written twice)', () => {
  const first = encodeClientFrame(0x2, bytesOf(4000, 1), 0x11223344);
  const copy = Uint8Array.from(first);
  for (let index = 0; index < 200; index++) encodeClientFrame(0x2, bytesOf(3000 + index, index), index * 7919);
  assert.deepEqual(first, copy);
  const parsed = parseClientFrame(Buffer.from(first.buffer, first.byteOffset, first.byteLength));
  assert.deepEqual(new Uint8Array(parsed!.frame.payload), bytesOf(4000, 1));
});

test('the upgrade sends the key, version, path and extra headers; open fires on a valid accept', async () => {
  const opened = await open({ headers: { Authorization: 'Bearer t0ken' } });
  assert.match(opened.side.head, /^GET \/v1\/ws\?x=1 HTTP\/1\.1\r\n/);
  assert.match(opened.side.head, new RegExp(`\r\nHost: 127\\.0\\.0\\.1:${port}\r\n`));
  assert.match(opened.side.head, /\r\nUpgrade: websocket\r\n/i);
  assert.match(opened.side.head, /\r\nConnection: Upgrade\r\n/i);
  assert.match(opened.side.head, /\r\nSec-WebSocket-Version: 13\r\n/);
  assert.match(opened.side.head, /\r\nSec-WebSocket-Key: [A-Za-z0-9+/]{22}==\r\n/);
  assert.match(opened.side.head, /\r\nAuthorization: Bearer t0ken(\r\n|$)/);
  assert.doesNotMatch(opened.side.head, /Sec-WebSocket-Extensions/i);
  assert.equal(opened.socket.readyState, NodeWebSocket.OPEN);
  assert.deepEqual(await closeFromClient(opened), { code: closeCode.normal, reason: 'done' });
});

test('send() frames each message masked, with 7-bit, 16-bit and 64-bit lengths', async () => {
  const opened = await open();
  const payloads = [bytesOf(10, 1), bytesOf(300, 2), bytesOf(70_000, 3), bytesOf(0, 4)];
  for (const payload of payloads) opened.socket.send(payload);
  await opened.side.framesArrived(payloads.length);
  assert.equal(opened.side.frames.length, payloads.length);
  opened.side.frames.forEach((frame, index) => {
    assert.equal(frame.opcode, 0x2);
    assert.equal(frame.fin, true);
    assert.equal(frame.masked, true, 'client frames are masked');
    assert.deepEqual(new Uint8Array(frame.payload), payloads[index]);
  });
  await closeFromClient(opened);
});

test('messages arrive whole: 16-bit and 64-bit lengths, fragments, frames split across TCP reads', async () => {
  const opened = await open();
  const small = bytesOf(5, 9);
  const medium = bytesOf(1000, 10);
  const large = bytesOf(100_000, 11);
  opened.side.socket.write(Buffer.concat([serverFrame(0x2, small), serverFrame(0x2, medium), serverFrame(0x2, large)]));
  await opened.messagesArrived(3);
  // Fragmented: a binary frame without FIN, a ping between fragments (allowed), two continuations.
  const parts = [bytesOf(100, 12), bytesOf(200, 13), bytesOf(70_000, 14)];
  opened.side.socket.write(serverFrame(0x2, parts[0]!, false));
  opened.side.socket.write(serverFrame(0x9, Buffer.from('mid')));
  opened.side.socket.write(serverFrame(0x0, parts[1]!, false));
  opened.side.socket.write(serverFrame(0x0, parts[2]!, true));
  await opened.messagesArrived(4);
  // One frame written a few bytes at a time, each write in a later turn (so usually a read of its own).
  const split = serverFrame(0x2, bytesOf(3000, 15));
  let previous = 0;
  for (const cut of [1, 3, 7, 1500, split.length]) {
    opened.side.socket.write(split.subarray(previous, cut));
    previous = cut;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await opened.messagesArrived(5);
  assert.deepEqual(opened.messages[0], small);
  assert.deepEqual(opened.messages[1], medium);
  assert.deepEqual(opened.messages[2], large);
  assert.deepEqual(opened.messages[3], Uint8Array.from(Buffer.concat(parts)));
  assert.deepEqual(opened.messages[4], bytesOf(3000, 15));
  // The ping between the fragments was answered.
  await opened.side.framesArrived(1);
  assert.equal(opened.side.frames[0]?.opcode, 0xa);
  await closeFromClient(opened);
});

test('a ping is answered with a masked pong carrying its payload; a text message reaches the listener as null', async () => {
  const opened = await open();
  opened.side.socket.write(serverFrame(0x9, Buffer.from('are you there')));
  await opened.side.framesArrived(1);
  const pong = opened.side.frames[0]!;
  assert.equal(pong.opcode, 0xa);
  assert.equal(pong.masked, true);
  assert.equal(pong.payload.toString(), 'are you there');
  opened.side.socket.write(serverFrame(0x1, Buffer.from('text')));
  await opened.messagesArrived(1);
  assert.equal(opened.messages[0], null);
  await closeFromClient(opened);
});

test("the server's close frame is echoed with its code, and onclose carries its code and reason", async () => {
  const opened = await open();
  const body = Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('going away now')]); // 4001
  opened.side.socket.write(serverFrame(0x8, body));
  await opened.side.framesArrived(1);
  const echo = opened.side.frames[0]!;
  assert.equal(echo.opcode, 0x8);
  assert.equal(echo.masked, true);
  assert.equal(echo.payload.readUInt16BE(0), 4001);
  opened.side.socket.end();
  assert.deepEqual(await opened.closed, { code: 4001, reason: 'going away now' });
  assert.equal(opened.socket.readyState, NodeWebSocket.CLOSED);
});

test("close() sends a close frame with the code and reason, and waits for the server's", async () => {
  const opened = await open();
  opened.socket.close(1000, 'client closed');
  assert.equal(opened.socket.readyState, NodeWebSocket.CLOSING);
  await opened.side.framesArrived(1);
  const frame = opened.side.frames[0]!;
  assert.equal(frame.opcode, 0x8);
  assert.equal(frame.payload.readUInt16BE(0), 1000);
  assert.equal(frame.payload.subarray(2).toString(), 'client closed');
  // Sends after close() are dropped, as ws does.
  opened.socket.send(bytesOf(4, 1));
  opened.side.socket.write(serverFrame(0x8, frame.payload));
  opened.side.socket.end();
  assert.deepEqual(await opened.closed, { code: 1000, reason: 'client closed' });
  assert.equal(opened.side.frames.length, 1);
});

test('a connection that ends without a close frame closes with 1006; a close frame without a code gives 1005', async () => {
  const dropped = await open();
  dropped.side.socket.destroy();
  assert.equal((await dropped.closed).code, closeCode.abnormal);
  const bare = await open();
  bare.side.socket.write(serverFrame(0x8, Buffer.alloc(0)));
  await bare.side.framesArrived(1);
  assert.equal(bare.side.frames[0]?.payload.length, 0, 'the echo has no code either');
  bare.side.socket.end();
  assert.equal((await bare.closed).code, closeCode.noStatus);
});

test('protocol violations close the connection: a masked server frame (1002), a message over the limit (1009)', async () => {
  const masked = await open();
  const frame = serverFrame(0x2, bytesOf(8, 1));
  const maskedFrame = Buffer.concat([Buffer.from([frame[0]!, frame[1]! | 0x80]), Buffer.alloc(4), frame.subarray(2)]);
  masked.side.socket.write(maskedFrame);
  await masked.side.framesArrived(1);
  assert.equal(masked.side.frames[0]?.opcode, 0x8);
  assert.equal(masked.side.frames[0]?.payload.readUInt16BE(0), closeCode.protocolError);
  masked.side.socket.end();
  assert.equal((await masked.closed).code, closeCode.protocolError);
  assert.equal(masked.messages.length, 0);

  const huge = await open();
  // Only the header: a 64-bit length of 200 MiB is refused before any of the payload arrives.
  const header = Buffer.alloc(10);
  header[0] = 0x82;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(200 * 1024 * 1024), 2);
  huge.side.socket.write(header);
  await huge.side.framesArrived(1);
  assert.equal(huge.side.frames[0]?.payload.readUInt16BE(0), closeCode.tooBig);
  huge.side.socket.end();
  assert.equal((await huge.closed).code, closeCode.tooBig);
});

test('a refused upgrade or a wrong Sec-WebSocket-Accept fails: error, then close 1006, never open', async () => {
  for (const refusal of [() => 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n', () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bm90IHRoZSByaWdodCBvbmU=\r\n\r\n']) {
    answer = refusal;
    try {
      const socket = new NodeWebSocket(`ws://127.0.0.1:${port}/v1/ws`);
      const errors: unknown[] = [];
      let opened = false;
      socket.onerror = (error) => errors.push(error);
      socket.onopen = () => {
        opened = true;
      };
      const event = await new Promise<SocketCloseEvent>((resolve) => {
        socket.onclose = resolve;
      });
      assert.equal(event.code, closeCode.abnormal);
      assert.equal(opened, false);
      assert.equal(errors.length, 1);
      assert.match(String(errors[0]), /401|Sec-WebSocket-Accept/);
    } finally {
      answer = accepting;
    }
  }
  connections = [];
});

test('a port nobody listens on fails with close 1006; a bad URL or header throws at once', async () => {
  const closedServer = net.createServer();
  await new Promise<void>((resolve) => closedServer.listen(0, '127.0.0.1', resolve));
  const deadPort = (closedServer.address() as net.AddressInfo).port;
  await new Promise((resolve) => closedServer.close(resolve));
  const socket = new NodeWebSocket(`ws://127.0.0.1:${deadPort}/v1/ws`);
  socket.onerror = () => undefined;
  const event = await new Promise<SocketCloseEvent>((resolve) => {
    socket.onclose = resolve;
  });
  assert.equal(event.code, closeCode.abnormal);
  assert.throws(() => new NodeWebSocket('not a url'), TypeError);
  assert.throws(() => new NodeWebSocket(`ftp://127.0.0.1:${port}/`), SyntaxError);
  assert.throws(() => new NodeWebSocket(`ws://127.0.0.1:${port}/#frag`), SyntaxError);
  assert.throws(() => new NodeWebSocket(`ws://127.0.0.1:${port}/`, undefined, { headers: { Authorization: 'Bearer a\r\nX: y' } }), TypeError);
});
