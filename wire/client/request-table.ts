// The client's requests on the wire: frames sent on the current socket and not yet answered, keyed
// by request id. Each carries the calls (call-queue.ts) whose ops it holds, in frame order.
// Calls not yet sent wait in the CallQueue instead; the table's size is the in-flight window.
//
// Insertion order is send order. Deadlines come from the calls (every call gets the same timeout
// from when it was made), so iterating the Map visits deadlines in ascending order but for calls
// put back after a drop or a Busy: expire() stops at the first request still in time, and such a
// call times out a sweep late at worst.

import type { PendingCall } from './call-queue';
import { TesseraError } from './tessera-error';

export interface PendingRequest {
  readonly id: number;
  /** Frames sent on this client before it: orders frames even when request ids wrap. */
  readonly sentIndex: number;
  readonly calls: readonly PendingCall[];
  /** The earliest deadline of its calls. */
  readonly deadlineMs: number;
}

export class RequestTable {
  readonly #requests = new Map<number, PendingRequest>();

  get size(): number {
    return this.#requests.size;
  }

  add(request: PendingRequest): void {
    if (this.#requests.has(request.id)) throw new Error(`request id ${request.id} is already pending`);
    this.#requests.set(request.id, request);
  }

  /** Removes and returns the request answered by a response, if still pending. */
  take(id: number): PendingRequest | undefined {
    const request = this.#requests.get(id);
    if (request !== undefined) this.#requests.delete(id);
    return request;
  }

  /**
   * The socket dropped: write calls fail with ConnectionLost (they may have been applied); read
   * calls are returned, oldest first, to be sent again on the next socket. The table is emptied.
   */
  connectionLost(): PendingCall[] {
    const again: PendingCall[] = [];
    const requests = [...this.#requests.values()];
    this.#requests.clear();
    for (const request of requests) {
      for (const call of request.calls) {
        if (call.readOnly) again.push(call);
        else call.reject(TesseraError.client('ConnectionLost'));
      }
    }
    return again;
  }

  /** Fails every call of every request whose deadline has passed with Timeout. */
  expire(nowMs: number): void {
    for (const request of this.#requests.values()) {
      if (request.deadlineMs > nowMs) break;
      this.#requests.delete(request.id);
      for (const call of request.calls) call.reject(TesseraError.client('Timeout'));
    }
  }

  rejectAll(error: TesseraError): void {
    const requests = [...this.#requests.values()];
    this.#requests.clear();
    for (const request of requests) for (const call of request.calls) call.reject(error);
  }
}
