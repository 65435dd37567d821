// The records an I/O thread and the front thread exchange (io-threads/README in io-thread-host.ts).
// Each side gathers the records of one event-loop turn into one buffer and posts it with its
// ArrayBuffer transferred: one postMessage per turn and direction, whatever the number of
// connections and requests, and no structured clone of objects per request.
//
// A record: kind (u8), then its fields in the order RelayReader reads them. Numbers are u32 or f64
// (little-endian), strings a u32 byte length and UTF-8, bytes a u32 length and the bytes. Written by
// hand: the format is private to one process and both ends are built together; a schema would buy
// nothing but a copy.

import { assert } from '../../../engine/layout/assert';

/** I/O thread → front. */
export const enum UpRecord {
  /** A WebSocket upgrade on a route of the front's: reqId, url, query, remote address, headers. */
  Upgrade = 1,
  /** The upgraded socket opened: connId (= the upgrade's reqId). */
  Open,
  /** connId, isBinary (u8), the message bytes. */
  Message,
  /** connId, code: the socket closed (either side began it). */
  Close,
  /** connId, bufferedAmount, bytes of front sends applied since the last report. */
  Buffered,
  /** An HTTP request: reqId, method, url, query, remote address, headers. */
  Request,
  /** reqId, isLast (u8), a body chunk. */
  Data,
  /** reqId: the client went away before the answer ended. */
  Aborted,
  /** A drain of a socket: connId. */
  Drain,
  /** What the I/O thread answered since its last report: WebSocket reads, HTTP reads, reads relayed for want of a consistent record (f64 each), then u32 n and n f64 metrics counters (ServerMetrics.takeCounters). */
  LocalReads,
}

/** Front → I/O thread. */
export const enum DownRecord {
  /** reqId, protocol, extensions, readable namespaces (bytes, one per namespace id; empty: no local reads). */
  Accept = 1,
  /** connId, flags (u8: io-worker.ts sendFlagBinary, sendFlagAnswer), bytes. */
  Send,
  /** connId, topic. */
  Subscribe,
  /** connId, topic. */
  Unsubscribe,
  /** topic, isBinary (u8), bytes: the I/O thread publishes to its own sockets on the topic. */
  Publish,
  /** connId, code, reason: a close frame. */
  End,
  /** connId: closed without a close frame. */
  CloseNow,
  /** reqId, status line. */
  Status,
  /** reqId, name, value. */
  Header,
  /** reqId, closeConnection (u8), body: res.end. */
  EndBody,
  /** reqId, reportedLength (f64, -1 = none), closeConnection (u8): res.endWithoutBody. */
  EndWithoutBody,
  /** reqId, totalSize (f64), chunk: res.tryEnd, in order; the I/O thread waits for writable. */
  TryEnd,
  /** reqId: res.close. */
  CloseResponse,
}

const initialBytes = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Appends records to a growable buffer; take() hands its bytes over and starts a new one. */
export class RelayWriter {
  #bytes = new Uint8Array(initialBytes);
  #view = new DataView(this.#bytes.buffer);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  u8(value: number): this {
    this.#reserve(1);
    this.#bytes[this.#length++] = value;
    return this;
  }

  u32(value: number): this {
    assert(value >>> 0 === value, 'a u32 field holds an unsigned 32-bit integer');
    this.#reserve(4);
    this.#view.setUint32(this.#length, value, true);
    this.#length += 4;
    return this;
  }

  f64(value: number): this {
    this.#reserve(8);
    this.#view.setFloat64(this.#length, value, true);
    this.#length += 8;
    return this;
  }

  string(text: string): this {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.#reserve(4 + text.length * 3);
    const { written } = encoder.encodeInto(text, this.#bytes.subarray(this.#length + 4));
    this.#view.setUint32(this.#length, written, true);
    this.#length += 4 + written;
    return this;
  }

  bytes(data: Uint8Array | ArrayBuffer): this {
    const view = data instanceof Uint8Array ? data : new Uint8Array(data);
    this.#reserve(4 + view.byteLength);
    this.#view.setUint32(this.#length, view.byteLength, true);
    this.#bytes.set(view, this.#length + 4);
    this.#length += 4 + view.byteLength;
    return this;
  }

  /** The records written since the last take, in a buffer of their own (to transfer). */
  take(): ArrayBuffer {
    const taken = this.#bytes.buffer.slice(0, this.#length);
    this.#length = 0;
    // A buffer grown for one big turn is not kept: the next turn starts small again.
    if (this.#bytes.byteLength > 4 * initialBytes) {
      this.#bytes = new Uint8Array(initialBytes);
      this.#view = new DataView(this.#bytes.buffer);
    }
    return taken;
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#bytes.byteLength) return;
    let size = this.#bytes.byteLength * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}

/** Reads the records of one posted buffer in order; bytes() are views into it. */
export class RelayReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #offset = 0;

  constructor(buffer: ArrayBuffer) {
    this.#bytes = new Uint8Array(buffer);
    this.#view = new DataView(buffer);
  }

  get done(): boolean {
    return this.#offset >= this.#bytes.byteLength;
  }

  u8(): number {
    this.#need(1);
    return this.#bytes[this.#offset++] as number;
  }

  u32(): number {
    this.#need(4);
    const value = this.#view.getUint32(this.#offset, true);
    this.#offset += 4;
    return value;
  }

  f64(): number {
    this.#need(8);
    const value = this.#view.getFloat64(this.#offset, true);
    this.#offset += 8;
    return value;
  }

  string(): string {
    const length = this.u32();
    this.#need(length);
    const text = decoder.decode(this.#bytes.subarray(this.#offset, this.#offset + length));
    this.#offset += length;
    return text;
  }

  /** A view into the posted buffer (valid as long as the caller keeps the buffer). */
  bytes(): Uint8Array {
    const length = this.u32();
    this.#need(length);
    const view = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return view;
  }

  #need(bytes: number): void {
    assert(this.#offset + bytes <= this.#bytes.byteLength, 'a relay record is whole (both ends are built together)');
  }
}

/** An HTTP request's head as the I/O thread saw it (Upgrade and Request records). */
export interface RelayedHead {
  reqId: number;
  method: string;
  url: string;
  query: string;
  remoteAddress: string;
  /** Lower-case names, as uWS gives them, in arrival order. */
  headers: [string, string][];
}

export function writeHead(writer: RelayWriter, kind: UpRecord.Upgrade | UpRecord.Request, head: RelayedHead): void {
  writer.u8(kind).u32(head.reqId).string(head.method).string(head.url).string(head.query).string(head.remoteAddress).u32(head.headers.length);
  for (const [name, value] of head.headers) writer.string(name).string(value);
}

/** After the kind byte of an Upgrade or Request record. */
export function readHead(reader: RelayReader): RelayedHead {
  const reqId = reader.u32();
  const method = reader.string();
  const url = reader.string();
  const query = reader.string();
  const remoteAddress = reader.string();
  const count = reader.u32();
  const headers: [string, string][] = [];
  for (let index = 0; index < count; index++) headers.push([reader.string(), reader.string()]);
  return { reqId, method, url, query, remoteAddress, headers };
}
