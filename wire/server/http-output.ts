// HTTP response bodies a client leaves unread, counted against the process-wide output budget
// (output-budget.ts). res.end(body) hands uWS the whole body: what the kernel does not take at once
// is copied into uWS's per-socket buffer, outside any bound (60 clients that GET an 8 MB value and
// never read took RSS from 121 to 545 MB, issue 9). Instead a body is written with tryEnd, which
// writes only what the socket takes, and the rest is written from onWritable as the client reads:
//
//   send ──► tryEnd(body) ──done──► nothing held
//               │ not all written
//               ▼
//   PendingBody { body, writtenBytes } in the set ◄── onWritable(offset): tryEnd(rest)
//               │ done / aborted (client gone, uWS's 10 s timeout, or closed by the budget sweep)
//               ▼
//   removed: its bytes leave the sum, the body is garbage
//
// The sum is kept live (updated on every write), so a new large response can be refused the moment
// the budget is passed; the sweep closes the largest holders.

import type { HttpResponse } from 'uWebSockets.js';
import { assert } from '../../engine/layout/assert';
import { UnreadSample, type OutputHolder, type OutputSource } from './output-budget';

/** A body that tryEnd could not write whole: kept until the client has read it, or is gone. */
export class PendingBody implements OutputHolder {
  readonly kind = 'http' as const;
  readonly id: number;
  readonly #output: HttpOutput;
  readonly #res: HttpResponse;
  readonly #body: Uint8Array;
  bufferedBytes: number;
  readonly unread = new UnreadSample();

  constructor(output: HttpOutput, id: number, res: HttpResponse, body: Uint8Array, writtenBytes: number) {
    this.#output = output;
    this.id = id;
    this.#res = res;
    this.#body = body;
    this.bufferedBytes = body.byteLength - writtenBytes;
  }

  /** uWS's writable event: write on from offset (body bytes already written). */
  onWritable(offset: number): boolean {
    const [ok, done] = this.#res.tryEnd(this.#body.subarray(offset), this.#body.byteLength);
    if (done) {
      this.#output.release(this);
      return true;
    }
    this.#output.resize(this, this.#body.byteLength - this.#res.getWriteOffset());
    return ok;
  }

  get stalled(): boolean {
    return this.unread.stalled;
  }

  closeForOutput(): void {
    // close() runs the exchange's onAborted, which releases this body.
    this.#res.close();
  }
}

export class HttpOutput implements OutputSource {
  readonly #pending = new Set<PendingBody>();
  #bufferedBytes = 0;
  #nextId = 1;

  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** HTTP responses still being written: each holds a connection and its unread body. */
  get connections(): number {
    return this.#pending.size;
  }

  /** The sum is kept live; the sweep samples each body's unread bytes to tell stalled from reading. */
  refresh(): number {
    for (const pending of this.#pending) pending.unread.sample(pending.bufferedBytes);
    return this.#bufferedBytes;
  }

  collect(into: OutputHolder[]): void {
    for (const pending of this.#pending) into.push(pending);
  }

  /**
   * Ends res with body (call it corked, status and headers written). Returns null when the body
   * went out whole, else the PendingBody now held: the caller releases it when res is aborted.
   * bodyIsView: body is valid only during this call (a direct read's value, sent without a copy:
   * uWS copies what it does not send at once into its cork buffer, or leaves it to us); only
   * what must be held for onWritable is copied, then.
   */
  send(res: HttpResponse, body: Uint8Array, bodyIsView = false): PendingBody | null {
    const [, done] = res.tryEnd(body, body.byteLength);
    if (done) return null;
    const held = bodyIsView ? body.slice() : body;
    const pending = new PendingBody(this, this.#nextId++, res, held, res.getWriteOffset());
    this.#pending.add(pending);
    this.#bufferedBytes += pending.bufferedBytes;
    res.onWritable((offset) => pending.onWritable(offset));
    return pending;
  }

  /** The body was written whole, or its response aborted: it is no longer held. Idempotent. */
  release(pending: PendingBody): void {
    if (!this.#pending.delete(pending)) return;
    this.#bufferedBytes -= pending.bufferedBytes;
    pending.bufferedBytes = 0;
    assert(this.#bufferedBytes >= 0, 'http output: the held sum went negative');
  }

  resize(pending: PendingBody, bufferedBytes: number): void {
    if (!this.#pending.has(pending)) return;
    this.#bufferedBytes += bufferedBytes - pending.bufferedBytes;
    pending.bufferedBytes = bufferedBytes;
  }
}
