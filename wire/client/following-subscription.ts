// What ClusterClient.subscribe returns (cluster-client.ts): a subscription that follows the primary.
// It runs on the primary's connection; when a promotion makes the cluster client replace that
// connection, the inner subscription ends (its client closed), and this one subscribes again on
// the new primary from the LSN of the last event it delivered. LSNs are the same on every node, so
// the consumer sees no gap and no duplicate (or a Gap event when the new primary's change log no
// longer holds those changes, as for any resume).
//
//   consumer.next() ──► inner.next() ── event ──► remember its LSN ──► consumer
//                          │ done / ClientClosed, and the cluster moved to another primary
//                          ▼
//                       subscribe on the new primary with fromLsn = last delivered (or the join LSN)

import type { Client } from './client';
import type { Subscription } from './subscription';
import type { SubscribeOptions, SubscriptionEvent } from './subscription-types';
import { TesseraError } from './tessera-error';

/** Moves to a new primary one next() call may make at most (each needs a promotion in between). */
const movesPerNextMax = 100;

export interface SubscriptionHost {
  /** The primary's client now, waiting for a rediscovery under way; rejects when there is none in time. */
  primary(): Promise<Client>;
  /** True while the cluster client uses `client` (false once it moved on, or closed). */
  uses(client: Client): boolean;
  isClosed(): boolean;
}

export class FollowingSubscription implements AsyncIterableIterator<SubscriptionEvent> {
  /** Resolves with the first join LSN (as Subscription.ready). */
  readonly ready: Promise<number>;
  readonly #host: SubscriptionHost;
  readonly #options: SubscribeOptions;
  #client: Client;
  #inner: Subscription;
  /** The LSN to resume after: the last event delivered, else the join LSN, else the caller's fromLsn. */
  #resumeLsn: number | null;
  #closed = false;
  /** Times this subscription moved to a new primary. */
  moves = 0;

  constructor(host: SubscriptionHost, client: Client, options: SubscribeOptions) {
    this.#host = host;
    this.#options = options;
    this.#client = client;
    this.#inner = client.subscribe(options);
    this.#resumeLsn = options.fromLsn ?? null;
    this.ready = this.#inner.ready;
    this.ready.then((lsn) => {
      if (this.#resumeLsn === null) this.#resumeLsn = lsn;
    }, () => undefined);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<SubscriptionEvent>> {
    for (let moves = 0; moves < movesPerNextMax; moves++) {
      const inner = this.#inner;
      let result: IteratorResult<SubscriptionEvent>;
      try {
        result = await inner.next();
      } catch (error: unknown) {
        if (!this.#movedOn(error)) throw error;
        await this.#move();
        continue;
      }
      if (!result.done) {
        this.#resumeLsn = result.value.lsn;
        return result;
      }
      if (!this.#movedOn(null)) return result;
      await this.#move();
    }
    throw TesseraError.client('ConnectionLost', 'the subscription moved to a new primary too many times in one call');
  }

  async return(): Promise<IteratorResult<SubscriptionEvent>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#inner.close();
  }

  /** The inner subscription ended because the cluster client left its connection (not by close()). */
  #movedOn(error: unknown): boolean {
    if (this.#closed || this.#host.isClosed() || this.#host.uses(this.#client)) return false;
    return error === null || (error instanceof TesseraError && (error.status === 'ClientClosed' || error.status === 'ConnectionLost'));
  }

  async #move(): Promise<void> {
    const client = await this.#host.primary();
    const options: SubscribeOptions = { ...this.#options };
    if (this.#resumeLsn === null) delete options.fromLsn;
    else options.fromLsn = this.#resumeLsn;
    this.#client = client;
    this.#inner = client.subscribe(options);
    this.moves++;
  }
}
