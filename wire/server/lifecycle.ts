// Whether the server still takes new work, and how much it has in flight. A shutdown flips the
// state to draining (new requests are refused with ShuttingDown), then waits, bounded, until every
// request already taken has been answered. Both transports count through this one object so the
// wait covers them all.

import { fail } from '../../engine/layout/assert';

export type LifecycleState = 'running' | 'draining' | 'stopped';

export class Lifecycle {
  #state: LifecycleState = 'running';
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];

  get state(): LifecycleState {
    return this.#state;
  }

  get accepting(): boolean {
    return this.#state === 'running';
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** A request was taken: it must be answered (or its connection lost) before the server stops. */
  begin(): void {
    this.#inFlight++;
  }

  /** The request taken by the matching begin() has been answered or abandoned. */
  end(): void {
    if (this.#inFlight <= 0) fail('lifecycle invariant: end() without begin()');
    this.#inFlight--;
    if (this.#inFlight === 0 && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  beginDrain(): void {
    if (this.#state === 'running') this.#state = 'draining';
  }

  markStopped(): void {
    this.#state = 'stopped';
  }

  /** Resolves true once nothing is in flight, or false when timeoutMs passes first. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((waiter) => waiter !== wake);
        resolve(false);
      }, timeoutMs);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idleWaiters.push(wake);
    });
  }
}
