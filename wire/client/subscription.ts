// What db.subscribe() returns: an async iterable of events with a bounded queue between the
// socket and the consumer.
//
//   socket ──► SubscriptionFeed ──emit──► queue (≤ queueMax) ──next()──► for await (...)
//                                            │ full: pause (unsubscribe on the server), keep the
//                                            │ position; at half: resume from the position
//
// A consumer slower than the stream therefore costs at most queueMax events of memory and loses
// nothing: the server replays what it missed from its change log (or says Gap).
//
// listen(onEvent, onEnd) is the other way to consume: each event is handed to a callback as it
// arrives, with no queue and no Promise per event (a consumer that keeps up anyway, such as a
// cache purger or the benchmark's subscribers). The iterator is then no longer available.

import type { FeedFilter } from './subscription-feed';
import { SubscriptionFeed } from './subscription-feed';
import type { SubscribeOptions, SubscriptionEvent } from './subscription-types';
import { TesseraError } from './tessera-error';
import type { Key } from '../../engine/layout/types';

export const queueMaxDefault = 10_000;

/** What a subscription asks of the set that owns it (subscription-set.ts). */
export interface SubscriptionOwner {
  pause(subscription: Subscription): void;
  resume(subscription: Subscription): void;
  remove(subscription: Subscription): void;
}

type Waiter = { resolve: (result: IteratorResult<SubscriptionEvent>) => void; reject: (error: unknown) => void };

/**
 * listen()'s callbacks: every event as it arrives, and the end: null when the subscription was
 * closed, a TesseraError when the server or the connection ended it, or what onEvent threw.
 */
export type SubscriptionListener = (event: SubscriptionEvent) => void;
export type SubscriptionEndListener = (error: unknown) => void;

const encoder = new TextEncoder();
const bytesOf = (key: Key | undefined): Uint8Array | null => (key === undefined ? null : typeof key === 'string' ? encoder.encode(key) : key);

export class Subscription implements AsyncIterableIterator<SubscriptionEvent> {
  readonly ns: string;
  readonly key: Key | undefined;
  readonly prefix: Key | undefined;
  readonly tag: string | undefined;
  readonly values: boolean;
  readonly feed: SubscriptionFeed;
  /** Resolves with the first join LSN (the subscription is live after it); rejects if it fails first. */
  readonly ready: Promise<number>;
  readonly #owner: SubscriptionOwner;
  readonly #queueMax: number;
  #queue: SubscriptionEvent[] = [];
  #head = 0;
  readonly #waiters: Waiter[] = [];
  #paused = false;
  #ended = false;
  #error: TesseraError | null = null;
  #listener: SubscriptionListener | null = null;
  #onEnd: SubscriptionEndListener | null = null;
  #readyResolve!: (lsn: number) => void;
  #readyReject!: (error: unknown) => void;
  #readySettled = false;
  /** feed.own / shared / joined take this; bound once, not per event. */
  readonly emit = (event: SubscriptionEvent): boolean => this.#push(event);

  constructor(owner: SubscriptionOwner, options: SubscribeOptions) {
    const queueMax = options.queueMax ?? queueMaxDefault;
    if (!(Number.isInteger(queueMax) && queueMax >= 2)) throw new RangeError('queueMax must be an integer >= 2');
    this.#owner = owner;
    this.#queueMax = queueMax;
    this.ns = options.ns;
    this.key = options.key;
    this.prefix = options.prefix;
    this.tag = options.tag;
    this.values = options.values ?? true;
    const filter: FeedFilter = { ns: options.ns, key: bytesOf(options.key), prefix: bytesOf(options.prefix), tag: options.tag ?? null };
    this.feed = new SubscriptionFeed(filter, this.values, options.fromLsn ?? null);
    this.ready = new Promise<number>((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    // Nobody has to watch `ready`: a failure also reaches next().
    this.ready.catch(() => undefined);
  }

  /** Every matching change up to this LSN has been queued (null: from now, not yet live). */
  get position(): number | null {
    return this.feed.position;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Events queued and not yet taken. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Hands every event to onEvent as it arrives (events already queued first, at once), instead of
   * through the iterator: no Promise per event, and the subscription never pauses (the callback
   * takes each event). `key` and `value` of an event are views into the received frame, as the
   * iterator's: copy what you keep. onEnd is called once, when the subscription ends: null when it
   * was closed, else the error. One consumer: after listen, next() rejects. An exception thrown by
   * onEvent closes the subscription and is handed to onEnd (without onEnd, it is thrown again
   * outside the client, as an EventEmitter listener's would be).
   */
  listen(onEvent: SubscriptionListener, onEnd?: SubscriptionEndListener): void {
    if (this.#listener !== null || this.#waiters.length > 0) throw new TypeError('a subscription has one consumer: it is already being read');
    this.#listener = onEvent;
    this.#onEnd = onEnd ?? null;
    if (this.#ended) {
      const error = this.#error;
      queueMicrotask(() => this.#onEnd?.(error));
      return;
    }
    const queued = this.#queue;
    const head = this.#head;
    this.#queue = [];
    this.#head = 0;
    for (let index = head; index < queued.length && this.#listener !== null; index++) this.#deliver(queued[index]!);
    if (this.#paused && !this.#ended) this.#owner.resume(this);
  }

  next(): Promise<IteratorResult<SubscriptionEvent>> {
    if (this.#listener !== null) return Promise.reject(new TypeError('this subscription hands its events to a listener (listen)'));
    if (this.#head < this.#queue.length) {
      const event = this.#take();
      return Promise.resolve({ done: false, value: event });
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Ends the iteration (a `break` out of for-await calls this) and unsubscribes. */
  async return(): Promise<IteratorResult<SubscriptionEvent>> {
    await this.close();
    return { done: true, value: undefined };
  }

  /** Unsubscribes; queued events are dropped and the iteration ends. */
  async close(): Promise<void> {
    if (this.#ended) return;
    this.#owner.remove(this);
    this.end(null);
  }

  /** Called by the owner: the first answer came. */
  joined(lsn: number): void {
    if (this.#readySettled) return;
    this.#readySettled = true;
    this.#readyResolve(lsn);
  }

  /** Called by the owner: ends the iteration, with an error (next() rejects once drained) or not. */
  end(error: TesseraError | null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#queue = [];
    this.#head = 0;
    if (!this.#readySettled) {
      this.#readySettled = true;
      this.#readyReject(error ?? TesseraError.client('ClientClosed', 'the subscription was closed before it was live'));
    }
    for (const waiter of this.#waiters.splice(0)) {
      if (error === null) waiter.resolve({ done: true, value: undefined });
      else waiter.reject(error);
    }
    const onEnd = this.#onEnd;
    this.#onEnd = null;
    onEnd?.(error);
  }

  /** Resumed by the owner: it is subscribed again (the queue had room). */
  unpause(): void {
    this.#paused = false;
  }

  #push(event: SubscriptionEvent): boolean {
    if (this.#ended) return false;
    if (this.#listener !== null) {
      this.#deliver(event);
      return true;
    }
    if (this.#paused) return false;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter.resolve({ done: false, value: event });
      return true;
    }
    if (this.queued >= this.#queueMax) {
      this.#paused = true;
      this.#owner.pause(this);
      return false;
    }
    this.#queue.push(event);
    return true;
  }

  /** One event to the listener; a throw closes the subscription and surfaces outside the client. */
  #deliver(event: SubscriptionEvent): void {
    try {
      this.#listener!(event);
    } catch (error: unknown) {
      this.#listener = null;
      const onEnd = this.#onEnd;
      this.#onEnd = null;
      void this.close();
      if (onEnd !== null) onEnd(error);
      else
        queueMicrotask(() => {
          throw error;
        });
    }
  }

  #take(): SubscriptionEvent {
    const event = this.#queue[this.#head] as SubscriptionEvent;
    this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.#paused && this.queued <= this.#queueMax >>> 1) this.#owner.resume(this);
    return event;
  }
}
