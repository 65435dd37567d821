// The client's requests from send to settle, keyed by request id. A request is "unsent" until it
// has been written to the current socket: requests made while reconnecting wait unsent, and
// reads in flight when a socket drops go back to unsent to be sent again on the next one.
//
// Insertion order is creation order, and every request gets the same timeout, so iterating the
// Map visits deadlines in ascending order: expire() stops at the first request still in time.

import type { ResponseFrame } from '../codec/wire-types';
import { TesseraError } from './tessera-error';

export interface PendingRequest {
  readonly id: number;
  readonly frame: Uint8Array;
  /** Only gets, heads and scans: safe to send again after a dropped connection. */
  readonly readOnly: boolean;
  readonly deadlineMs: number;
  sent: boolean;
  readonly resolve: (frame: ResponseFrame) => void;
  readonly reject: (error: TesseraError) => void;
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

  /** The requests not yet written to the current socket, oldest first. */
  *unsent(): IterableIterator<PendingRequest> {
    for (const request of this.#requests.values()) if (!request.sent) yield request;
  }

  /**
   * The socket dropped: writes that were sent fail with ConnectionLost (they may have been
   * applied), reads that were sent will be sent again.
   */
  connectionLost(): void {
    for (const request of this.#requests.values()) {
      if (!request.sent) continue;
      if (request.readOnly) {
        request.sent = false;
      } else {
        this.#requests.delete(request.id);
        request.reject(TesseraError.client('ConnectionLost'));
      }
    }
  }

  /** Fails every request whose deadline has passed with Timeout. */
  expire(nowMs: number): void {
    for (const request of this.#requests.values()) {
      if (request.deadlineMs > nowMs) break;
      this.#requests.delete(request.id);
      request.reject(TesseraError.client('Timeout'));
    }
  }

  rejectAll(error: TesseraError): void {
    const requests = [...this.#requests.values()];
    this.#requests.clear();
    for (const request of requests) request.reject(error);
  }
}
