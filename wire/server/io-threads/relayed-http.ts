// An HTTP request an I/O thread relayed, as the front's handlers see it: RelayedRequest answers
// the HttpRequest calls they make from the head the I/O thread sent, and RelayedResponse turns the
// HttpResponse calls they make into records the I/O thread applies to the real response, in order.
//
// Every write is taken at once (tryEnd answers ok): the I/O thread holds what its socket cannot
// take yet and waits for writable itself, so the front never waits on a socket it does not own.
// Request bodies arrive as Data records; chunks that come before the handler asks for them
// (onData) are kept until it does.

import type { HttpRequest, HttpResponse, RecognizedString, us_socket_context_t } from 'uWebSockets.js';
import { assert } from '../../../engine/layout/assert';
import { DownRecord, RelayWriter, type RelayedHead } from './relay-codec';

/** Where a relayed answer's records go: the link to the I/O thread that holds the socket. */
export interface DownLink {
  readonly writer: RelayWriter;
  /** Sends what the writer holds at the end of this turn (once, however many records). */
  flushSoon(): void;
  /** The response reqId is over (ended, closed): the link forgets it. */
  finished(reqId: number): void;
}

const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');

function bytesOf(data: RecognizedString): Uint8Array {
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Header names and values are bytes on the wire; uWS writes a buffer's bytes as they are. */
function textOf(data: RecognizedString): string {
  return typeof data === 'string' ? data : latin1.decode(bytesOf(data));
}

function decodeQueryPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export class RelayedRequest {
  readonly #head: RelayedHead;

  constructor(head: RelayedHead) {
    this.#head = head;
  }

  getMethod(): string {
    return this.#head.method.toLowerCase();
  }

  getCaseSensitiveMethod(): string {
    return this.#head.method;
  }

  getUrl(): string {
    return this.#head.url;
  }

  /** uWS: the first header of that (lower-case) name, '' when there is none. */
  getHeader(name: RecognizedString): string {
    const wanted = textOf(name);
    for (const [headerName, value] of this.#head.headers) if (headerName === wanted) return value;
    return '';
  }

  /**
   * uWS: the raw query without a key; with one, its decoded value, or undefined. As uWS's own
   * getQuery answers (relayed-http.test.ts checks it against a real uWS request), so a query means
   * the same on every thread (access_token, ttl): the key is compared as sent, not decoded; the
   * first part with the key decides, and one without '=' has no value (undefined, not ''); '+' in
   * a value is a space. Unlike uWS, a bad escape is left as it is (uWS answers bytes of no meaning).
   */
  getQuery(key?: string): string | undefined {
    const query = this.#head.query;
    if (key === undefined) return query;
    for (const part of query.split('&')) {
      const equals = part.indexOf('=');
      if ((equals === -1 ? part : part.slice(0, equals)) !== key) continue;
      return equals === -1 ? undefined : decodeQueryPart(part.slice(equals + 1).replaceAll('+', ' '));
    }
    return undefined;
  }

  forEach(callback: (key: string, value: string) => void): void {
    for (const [name, value] of this.#head.headers) callback(name, value);
  }

  getParameter(): string {
    return '';
  }

  setYield(): this {
    return this;
  }

  asUws(): HttpRequest {
    return this as unknown as HttpRequest;
  }
}

type DataHandler = (chunk: ArrayBuffer, isLast: boolean) => void;

/** A WebSocket upgrade the front's handler accepted: what the I/O thread needs to complete it. */
export interface AcceptedUpgrade {
  userData: unknown;
  protocol: string;
  extensions: string;
}

export class RelayedResponse {
  readonly reqId: number;
  readonly #link: DownLink;
  readonly #remoteAddress: string;
  #done = false;
  #aborted = false;
  #abortHandler: (() => void) | null = null;
  #dataHandler: DataHandler | null = null;
  /** Body chunks that arrived before onData (copies: the records they came in are gone by then). */
  #earlyData: [ArrayBuffer, boolean][] = [];
  #writeOffset = 0;
  /** Set when an upgrade handler accepts (upgrade()); the host completes it. */
  accepted: AcceptedUpgrade | null = null;

  constructor(reqId: number, link: DownLink, remoteAddress: string) {
    this.reqId = reqId;
    this.#link = link;
    this.#remoteAddress = remoteAddress;
  }

  /** Ended, closed or upgraded: no further record may be written for it. */
  get done(): boolean {
    return this.#done;
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  writeStatus(status: RecognizedString): this {
    this.#record(DownRecord.Status).string(textOf(status));
    return this;
  }

  writeHeader(name: RecognizedString, value: RecognizedString): this {
    this.#record(DownRecord.Header).string(textOf(name)).string(textOf(value));
    return this;
  }

  end(body?: RecognizedString, closeConnection?: boolean): this {
    this.#record(DownRecord.EndBody).u8(closeConnection === true ? 1 : 0).bytes(body === undefined ? new Uint8Array(0) : bytesOf(body));
    this.#finish();
    return this;
  }

  endWithoutBody(reportedContentLength?: number, closeConnection?: boolean): this {
    this.#record(DownRecord.EndWithoutBody).f64(reportedContentLength ?? -1).u8(closeConnection === true ? 1 : 0);
    this.#finish();
    return this;
  }

  /** Always taken whole: the I/O thread waits for its socket (see the top of this file). */
  tryEnd(chunk: RecognizedString, totalSize: number): [boolean, boolean] {
    const bytes = bytesOf(chunk);
    this.#record(DownRecord.TryEnd).f64(totalSize).bytes(bytes);
    this.#writeOffset += bytes.byteLength;
    if (this.#writeOffset >= totalSize) this.#finish();
    return [true, this.#done];
  }

  getWriteOffset(): number {
    return this.#writeOffset;
  }

  /** Never called: every write is taken (tryEnd). */
  onWritable(_handler: (offset: number) => boolean): this {
    return this;
  }

  onAborted(handler: () => void): this {
    this.#abortHandler = handler;
    return this;
  }

  onData(handler: DataHandler): this {
    this.#dataHandler = handler;
    if (this.#earlyData.length > 0) {
      const early = this.#earlyData;
      this.#earlyData = [];
      // Later, as uWS would: never inside the handler's own onData call.
      queueMicrotask(() => {
        for (const [chunk, isLast] of early) if (!this.#aborted) handler(chunk, isLast);
      });
    }
    return this;
  }

  cork(callback: () => void): this {
    callback();
    return this;
  }

  close(): this {
    this.#record(DownRecord.CloseResponse);
    this.#finish();
    return this;
  }

  upgrade(userData: unknown, _key: RecognizedString, protocol: RecognizedString, extensions: RecognizedString, _context: us_socket_context_t): void {
    assert(!this.#done, 'an upgrade is answered once');
    this.accepted = { userData, protocol: textOf(protocol), extensions: textOf(extensions) };
    this.#done = true;
  }

  getRemoteAddressAsText(): ArrayBuffer {
    return encoder.encode(this.#remoteAddress).buffer as ArrayBuffer;
  }

  getRemoteAddress(): ArrayBuffer {
    return this.getRemoteAddressAsText();
  }

  asUws(): HttpResponse {
    return this as unknown as HttpResponse;
  }

  /** A Data record from the I/O thread (a view into its batch: copied here). */
  receiveData(chunk: Uint8Array, isLast: boolean): void {
    if (this.#aborted) return;
    const copy = chunk.slice().buffer as ArrayBuffer;
    if (this.#dataHandler === null) this.#earlyData.push([copy, isLast]);
    else this.#dataHandler(copy, isLast);
  }

  /** The client went away: the handler's onAborted runs, and nothing more is written. */
  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    const wasDone = this.#done;
    this.#done = true;
    if (!wasDone) this.#abortHandler?.();
  }

  #finish(): void {
    this.#done = true;
    this.#link.finished(this.reqId);
  }

  #record(kind: DownRecord): RelayWriter {
    // A handler may still write after the client went away (uWS would throw): the I/O thread has
    // forgotten the response, so those records are written aside and dropped.
    if (this.#aborted) {
      discarded.take();
      return discarded.u8(kind);
    }
    this.#link.flushSoon();
    return this.#link.writer.u8(kind).u32(this.reqId);
  }
}

/** Where the records of a response whose client went away are written and dropped. */
const discarded = new RelayWriter();
