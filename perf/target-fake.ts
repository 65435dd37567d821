// An in-process target that keeps generations in an array and answers on the next event-loop
// turn. It measures nothing about any server: it exists so the harness (workers, lanes, merging,
// reports) can run end to end with no server at all, and so tests can inject a stall.

import { outcomeMismatch, outcomeNotFound } from './outcome';
import type { FanoutSubscription, TargetConnection } from './target-connection';

export interface FakeTargetOptions {
  keys: number;
  /** Keys start out present (generation 1), as after a preload. */
  preloaded: boolean;
  /** Share the thread's records with the other shared fake connections (else private to this one). */
  shared?: boolean;
  /** Test hook: milliseconds to hold the answer to the op with this index (0-based, per connection). */
  answerDelayMs?: (opIndex: number) => number;
}

/**
 * Fanout hub shared by the fake connections of one thread: a fake write reaches subscribers in the
 * writer's own thread only, so fanout on the fake target runs with one generator thread.
 */
const fakeSubscribers = new Set<(payload: Uint8Array) => void>();

/** Records shared by the fake connections of one thread, as a server's are shared by its clients. */
let fakeGenerations = new Float64Array(0);

function sharedGenerations(keys: number, preloaded: boolean): Float64Array {
  if (fakeGenerations.length !== keys) {
    fakeGenerations = new Float64Array(keys);
    if (preloaded) fakeGenerations.fill(1);
  }
  return fakeGenerations;
}

export class FakeConnection implements TargetConnection {
  readonly #generations: Float64Array;
  readonly #answerDelayMs: ((opIndex: number) => number) | undefined;
  #opIndex = 0;

  constructor(options: FakeTargetOptions) {
    this.#generations = options.shared === true ? sharedGenerations(options.keys, options.preloaded) : new Float64Array(options.keys);
    if (options.shared !== true && options.preloaded) this.#generations.fill(1);
    this.#answerDelayMs = options.answerDelayMs;
  }

  get(keyIndex: number): Promise<number> {
    const generation = this.#generations[keyIndex] ?? 0;
    return this.#answer(generation > 0 ? generation : outcomeNotFound);
  }

  put(keyIndex: number, ifGeneration: number): Promise<number> {
    const generation = this.#generations[keyIndex] ?? 0;
    if (ifGeneration !== 0 && ifGeneration !== generation) return this.#answer(outcomeMismatch);
    this.#generations[keyIndex] = generation + 1;
    return this.#answer(generation + 1);
  }

  publish(payload: Uint8Array): Promise<number> {
    for (const subscriber of fakeSubscribers) setImmediate(subscriber, payload);
    return this.#answer(0);
  }

  subscribe(onPayload: (payload: Uint8Array) => void): Promise<FanoutSubscription> {
    // A wrapper per subscription: the same callback may be subscribed on several connections.
    const deliver = (payload: Uint8Array): void => onPayload(payload);
    fakeSubscribers.add(deliver);
    const subscription: FanoutSubscription = {
      close: async () => {
        fakeSubscribers.delete(deliver);
      },
    };
    return Promise.resolve(subscription);
  }

  async close(): Promise<void> {
    // Subscriptions are closed through their own handles.
  }

  #answer(outcome: number): Promise<number> {
    const delayMs = this.#answerDelayMs === undefined ? 0 : this.#answerDelayMs(this.#opIndex);
    this.#opIndex++;
    return new Promise((resolve) => {
      if (delayMs > 0) setTimeout(resolve, delayMs, outcome);
      else setImmediate(resolve, outcome);
    });
  }
}
