// One HTTP request and its response, with the uWS rules in one place:
//   - onAborted is attached before anything asynchronous happens (uWS terminates the process
//     otherwise), and after an abort the response object is never touched again;
//   - writes made after an await are corked, so status line, headers and body leave in one syscall;
//   - every request is counted in flight from arrival until it is answered or aborted, which is
//     what a graceful shutdown waits for.

import type { HttpResponse } from 'uWebSockets.js';
import { Status, statusMessage, statusName } from '../../engine/layout/status';
import { corsExposeHeaders } from './cors';
import { httpCodeOf, statusLine } from './http-status';
import { endHead } from './http-head';
import type { Lifecycle } from './lifecycle';
import { transportIndex, type LatencyObserver, type ServerMetrics } from './metrics';
import type { HttpOutput, PendingBody } from './http-output';
import type { OutputBudget } from './output-budget';

export interface ExchangeContext {
  lifecycle: Lifecycle;
  metrics: ServerMetrics;
  latency: LatencyObserver;
  /** On a replica: the primary's HTTP origin, named in the 421 body of a refused write. */
  primaryUrl?: string | null;
  /** The process-wide output budget and the HTTP bodies held against it; absent: bodies go out with end(). */
  output?: { budget: OutputBudget; http: HttpOutput };
}

/**
 * Bodies up to this size are sent even past the output budget (an error body, a small value): a
 * refusal would cost as much, and one socket buffer takes them whole. Larger ones are refused 503.
 */
export const smallBodyBytes = 16 * 1024;
/** Seconds a client refused for the output budget is told to wait (a sweep runs every 50 ms). */
const retryAfterSec = '1';

const jsonType = 'application/json';
/**
 * Vary values by (encoding varies) + 2 × (origin varies): constants, nothing built per response,
 * kept as bytes (uWS converts a string argument to UTF-8 on every call; bytes it takes as they are).
 */
const varyName = Buffer.from('Vary', 'latin1');
const varyValues = ['', 'Accept-Encoding', 'Origin', 'Accept-Encoding, Origin'].map((value) => Buffer.from(value, 'latin1'));

/** Writes a response (status, headers, end) without a closure: one object reused by its owner. */
export interface ResponseWriter {
  write(res: HttpResponse, closeConnection: boolean): void;
}
/**
 * Bytes of a too-large body read and dropped before the 413 is sent (see readBody). Reading them
 * costs bandwidth, never memory; past this the connection is closed instead.
 */
export const bodyDiscardBytesMax = 4 * 1024 * 1024;
const httpTransport = transportIndex.http;

/** What respondWith's cork callback writes (set only while cork runs). */
let corkedWriter: ResponseWriter | null = null;
let corkedRes: HttpResponse | null = null;
let corkedClose = false;

function writeCorked(): void {
  corkedWriter!.write(corkedRes!, corkedClose);
}

export function errorBody(status: Status, message: string = statusMessage(status), primaryUrl: string | null = null): string {
  if (status === Status.ReadOnly && primaryUrl !== null) return JSON.stringify({ error: statusName(status), message, primary: primaryUrl });
  return JSON.stringify({ error: statusName(status), message });
}

export class HttpExchange {
  readonly #res: HttpResponse;
  readonly #context: ExchangeContext;
  readonly #startedMs = performance.now();
  /** A HEAD response carries the headers of its GET but never a body, errors included. */
  readonly #isHead: boolean;
  /** The Origin echoed in Access-Control-Allow-Origin ('' = no CORS headers), see cors.ts. */
  #corsOrigin = '';
  /** Responses carry `Vary: Origin` (allowedOrigins is set). */
  #varyOrigin = false;
  #aborted = false;
  #finished = false;
  /** The body still being written (http-output.ts), released when the client goes away. */
  #pending: PendingBody | null = null;
  #abortHooked = false;

  /**
   * hookAbort false: onAborted is attached only by holdOpen(), which the creator must call before
   * the uWS handler returns if the exchange is still live then (uWS needs onAborted on every
   * response not ended in its handler). A GET answered from a direct read inside the handler
   * then costs no closure and no persistent handle in uWS for an abort that cannot come.
   */
  constructor(res: HttpResponse, context: ExchangeContext, isHead: boolean, hookAbort = true) {
    this.#res = res;
    this.#context = context;
    this.#isHead = isHead;
    context.lifecycle.begin();
    if (hookAbort) this.holdOpen();
  }

  /** Attaches onAborted (once): the response may now be answered after the handler returned. */
  holdOpen(): void {
    if (this.#abortHooked) return;
    this.#abortHooked = true;
    const context = this.#context;
    this.#res.onAborted(() => {
      this.#aborted = true;
      if (this.#pending !== null) context.output?.http.release(this.#pending);
      this.#pending = null;
      this.#finish();
    });
  }

  /**
   * CORS for this exchange (cors.ts): origin is echoed in Access-Control-Allow-Origin ('' = none),
   * varyOrigin adds `Vary: Origin` to every response.
   */
  setCors(origin: string, varyOrigin: boolean): void {
    this.#corsOrigin = origin;
    this.#varyOrigin = varyOrigin;
  }

  /**
   * Writes the status line and the headers every response of this exchange carries: the CORS
   * headers and Vary (Accept-Encoding when the body depends on it). uWS needs the status first:
   * a header written before it makes uWS send `200 OK` on its own.
   */
  writeStatus(res: HttpResponse, line: string | Uint8Array, varyEncoding: boolean): void {
    res.writeStatus(line);
    if (this.#corsOrigin !== '') {
      res.writeHeader('Access-Control-Allow-Origin', this.#corsOrigin);
      res.writeHeader('Access-Control-Expose-Headers', corsExposeHeaders);
    }
    const vary = varyValues[(varyEncoding ? 1 : 0) + (this.#varyOrigin ? 2 : 0)]!;
    if (vary.byteLength !== 0) res.writeHeader(varyName, vary);
  }

  /** False once the response was sent or the client went away: no write may follow. */
  get live(): boolean {
    return !this.#aborted && !this.#finished;
  }

  /**
   * Runs write corked, unless the exchange is over; write must end the response, passing
   * closeConnection to end()/endWithoutBody(). It is true once the server drains: every answer
   * sent during a shutdown says `Connection: close`, so no keep-alive client sends another request
   * on a connection that is about to be closed under it (issue 9, finding 7).
   */
  respond(write: (res: HttpResponse, closeConnection: boolean) => void): void {
    if (!this.live) return;
    const closeConnection = !this.#context.lifecycle.accepting;
    this.#res.cork(() => write(this.#res, closeConnection));
    this.#finish();
  }

  /**
   * As respond, with a reused writer instead of a closure: the cork callback is one function
   * that reads what to write from module state, set just before and cleared after (cork calls it
   * at once). Corked even inside the uWS handler: without it, each response of a pipelined read
   * went out in its own send (measured under wrk -pipeline 16: kernel time up from 25 to 64 %).
   */
  respondWith(writer: ResponseWriter): void {
    if (!this.live) return;
    corkedWriter = writer;
    corkedRes = this.#res;
    corkedClose = !this.#context.lifecycle.accepting;
    try {
      this.#res.cork(writeCorked);
    } finally {
      corkedWriter = null;
      corkedRes = null;
    }
    this.#finish();
  }

  /**
   * Ends a response whose status and headers are written (inside respond) with body. A body
   * that the socket does not take at once is held and counted against the output budget
   * (http-output.ts) instead of being copied into uWS's unbounded per-socket buffer. While the
   * server drains, end() closes the connection after it, as every answer then does.
   */
  endWithBody(res: HttpResponse, body: Uint8Array, closeConnection: boolean, bodyIsView = false): void {
    const output = this.#context.output;
    if (output === undefined || closeConnection) {
      res.end(body, closeConnection);
      return;
    }
    this.#pending = output.http.send(res, body, bodyIsView);
    // A body held for onWritable outlives the handler: the abort that releases it must be hooked.
    if (this.#pending !== null) this.holdOpen();
  }

  /**
   * True when a body of bodyBytes may be sent now; else the request has been answered 503 Busy
   * with Retry-After: the output budget is spent (maxBufferedOutputBytes), or as many connections
   * and HTTP responses are held as maxConnections allows. Small bodies always pass.
   */
  admitBody(bodyBytes: number): boolean {
    const budget = this.#context.output?.budget;
    if (budget === undefined || bodyBytes <= smallBodyBytes) return true;
    if (!budget.over && !budget.full) return true;
    const reason = budget.over ? 'the server holds too much unread output (maxBufferedOutputBytes): retry later' : `more than ${budget.limits.maxConnections} connections and responses held (maxConnections): retry later`;
    this.sendError(Status.Busy, reason, { headers: [['Retry-After', retryAfterSec]] });
    return false;
  }

  /** Runs work on the next event-loop turn (setImmediate), unless the exchange is over by then. */
  deferWhileLive(work: () => void): void {
    setImmediate(() => {
      if (this.live) work();
    });
  }

  /** Refuses the request before it became an op (counted as a request failure, not an op). */
  refuse(status: Status, message?: string, options: { httpCode?: number; closeConnection?: boolean; headers?: [string, string][] } = {}): void {
    this.#context.metrics.countRequestFailure(httpTransport, status);
    this.sendError(status, message, options);
  }

  /** A JSON error body `{ error, message }` with the status's HTTP code (or httpCode when given). */
  sendError(status: Status, message?: string, options: { httpCode?: number; closeConnection?: boolean; headers?: [string, string][] } = {}): void {
    this.sendJson(options.httpCode ?? httpCodeOf(status), errorBody(status, message, this.#context.primaryUrl ?? null), options);
  }

  sendJson(httpCode: number, body: string, options: { closeConnection?: boolean; headers?: [string, string][]; contentType?: string } = {}): void {
    this.respond((res, draining) => {
      this.writeStatus(res, statusLine(httpCode), false);
      res.writeHeader('Content-Type', options.contentType ?? jsonType);
      for (const [name, value] of options.headers ?? []) res.writeHeader(name, value);
      const closeConnection = draining || options.closeConnection === true;
      if (this.#isHead) endHead(res, Buffer.byteLength(body), closeConnection);
      else res.end(body, closeConnection);
    });
  }

  /**
   * Reads the request body, at most limitBytes. A larger body is answered 413 without being
   * buffered: its bytes are read and dropped (up to bodyDiscardBytesMax past the limit) and the 413
   * goes out once the client has sent it all, on a connection that stays open. Answering while the
   * client is still sending and then closing would make the kernel reset the connection when the
   * rest arrives, and the client would often lose the 413 (nginx's "lingering close" problem).
   * Only a body that goes on past the discard allowance gets the 413 at once, with a close.
   */
  readBody(declaredBytes: number | null, limitBytes: number, onBody: (body: Uint8Array) => void): void {
    if (declaredBytes !== null && declaredBytes > limitBytes + bodyDiscardBytesMax) {
      this.#refuseBody(limitBytes, true);
      return;
    }
    if (declaredBytes === 0) {
      onBody(new Uint8Array(0));
      return;
    }
    let collector: BodyCollector | null = declaredBytes !== null && declaredBytes > limitBytes ? null : new BodyCollector(declaredBytes, limitBytes);
    let discardedBytes = 0;
    this.#res.onData((chunk, isLast) => {
      if (!this.live) return;
      if (collector !== null && !collector.add(chunk)) collector = null;
      if (collector === null) {
        discardedBytes += chunk.byteLength;
        if (discardedBytes > limitBytes + bodyDiscardBytesMax) this.#refuseBody(limitBytes, true);
        else if (isLast) this.#refuseBody(limitBytes, false);
        return;
      }
      if (isLast) onBody(collector.body());
    });
  }

  #refuseBody(limitBytes: number, closeConnection: boolean): void {
    this.refuse(Status.ValueTooLarge, `the body is larger than the namespace allows (${limitBytes} bytes)`, { closeConnection });
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#context.latency.observe((performance.now() - this.#startedMs) / 1000);
    this.#context.lifecycle.end();
  }
}

/**
 * Gathers body chunks. uWS neuters each chunk when its callback returns, so every chunk is copied:
 * straight into place when the length was declared, else into a list joined at the end.
 */
class BodyCollector {
  readonly #limitBytes: number;
  readonly #whole: Uint8Array | null;
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  constructor(declaredBytes: number | null, limitBytes: number) {
    this.#limitBytes = limitBytes;
    this.#whole = declaredBytes === null ? null : new Uint8Array(declaredBytes);
  }

  /** False when the body went over the limit (or over its declared length). */
  add(chunk: ArrayBuffer): boolean {
    const length = this.#length + chunk.byteLength;
    if (length > this.#limitBytes) return false;
    if (this.#whole !== null) {
      if (length > this.#whole.length) return false;
      this.#whole.set(new Uint8Array(chunk), this.#length);
    } else {
      this.#chunks.push(new Uint8Array(chunk.slice(0)));
    }
    this.#length = length;
    return true;
  }

  body(): Uint8Array {
    if (this.#whole !== null) return this.#whole.subarray(0, this.#length);
    if (this.#chunks.length === 1) return this.#chunks[0] ?? new Uint8Array(0);
    const body = new Uint8Array(this.#length);
    let offset = 0;
    for (const chunk of this.#chunks) {
      body.set(chunk, offset);
      offset += chunk.length;
    }
    return body;
  }
}
