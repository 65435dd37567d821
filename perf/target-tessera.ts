// Tessera adapter: one client (one WebSocket) per lane; the client pipelines the lane's in-flight
// requests on it. Values are passed as the preallocated Uint8Array; gets return views.

import { fanoutKeys } from './bounds';
import { fanoutKeyNames, fanoutPrefix } from './fanout-keys';
import { outcomeError, outcomeMismatch, outcomeNotFound } from './outcome';
import type { ConnectionSetup, FanoutSubscription, TargetConnection } from './target-connection';
import {
  errorStatus,
  loadTesseraConnect,
  tesseraUrl,
  type TesseraClientLike,
  type TesseraEventLike,
  type TesseraListenableLike,
  type TesseraRecordLike,
} from './tessera-client-loader';

const mapGet = (record: TesseraRecordLike | null): number => (record === null ? outcomeNotFound : record.generation);
const mapPut = (result: { generation: number }): number => result.generation;
const mapPublish = (): number => 0;
const mapError = (error: unknown): number => {
  const status = errorStatus(error);
  if (status === 'GenerationMismatch') return outcomeMismatch;
  if (status === 'NotFound') return outcomeNotFound;
  return outcomeError;
};

class TesseraConnection implements TargetConnection {
  readonly #client: TesseraClientLike;
  readonly #setup: ConnectionSetup;
  readonly #namespace: string;
  readonly #fanoutKeyNames: string[];
  readonly #subscriptions: FanoutSubscription[] = [];
  #published = 0;
  readonly subscribe: ((onPayload: (payload: Uint8Array) => void) => Promise<FanoutSubscription>) | undefined;

  constructor(client: TesseraClientLike, setup: ConnectionSetup) {
    this.#client = client;
    this.#setup = setup;
    this.#namespace = setup.endpoint.namespace;
    this.#fanoutKeyNames = setup.workload === 'fanout' ? fanoutKeyNames() : [];
    // Only offered when this client build has subscribe (a later issue adds it).
    this.subscribe = typeof client.subscribe === 'function' ? (onPayload) => this.#subscribe(onPayload) : undefined;
  }

  get(keyIndex: number): Promise<number> {
    return this.#client.get(this.#namespace, this.#setup.keyNames[keyIndex] ?? '').then(mapGet, mapError);
  }

  put(keyIndex: number, ifGeneration: number): Promise<number> {
    const key = this.#setup.keyNames[keyIndex] ?? '';
    const written = ifGeneration === 0 ? this.#client.put(this.#namespace, key, this.#setup.value) : this.#client.put(this.#namespace, key, this.#setup.value, { ifGeneration });
    return written.then(mapPut, mapError);
  }

  publish(payload: Uint8Array): Promise<number> {
    const key = this.#fanoutKeyNames[this.#published % fanoutKeys] ?? '';
    this.#published++;
    return this.#client.put(this.#namespace, key, payload).then(mapPublish, mapError);
  }

  async #subscribe(onPayload: (payload: Uint8Array) => void): Promise<FanoutSubscription> {
    const subscribe = this.#client.subscribe;
    if (subscribe === undefined) throw new Error('this Tessera client has no subscribe()');
    const events = await subscribe.call(this.#client, { ns: this.#namespace, prefix: fanoutPrefix, values: true });
    const subscription = typeof events.listen === 'function' && typeof events.close === 'function' ? listening(events, onPayload) : iterating(events, onPayload);
    this.#subscriptions.push(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all(this.#subscriptions.map((subscription) => subscription.close()));
    await this.#client.close();
  }
}

/**
 * Deliveries through listen(): one callback per event, no Promise per event, as ioredis's
 * subscriber hands each message to its 'message' listener.
 */
function listening(events: TesseraListenableLike, onPayload: (payload: Uint8Array) => void): FanoutSubscription {
  events.listen!((event) => {
    const value = event.value;
    if (value instanceof Uint8Array) onPayload(value);
  });
  return { close: () => events.close!() };
}

/** Deliveries through the async iterator (a client without listen()). */
function iterating(events: AsyncIterable<TesseraEventLike>, onPayload: (payload: Uint8Array) => void): FanoutSubscription {
  const iterator = events[Symbol.asyncIterator]();
  let open = true;
  // The loop ends when close() returns the iterator (or the server ends the stream); the writer
  // is bounded in count and time, so the deliveries it causes are too.
  const pumping = (async () => {
    while (open) {
      const step = await iterator.next();
      if (step.done === true) return;
      const value = (step.value as TesseraEventLike).value;
      if (value instanceof Uint8Array) onPayload(value);
    }
  })().catch(() => undefined);
  return {
    close: async () => {
      open = false;
      await iterator.return?.();
      await pumping;
    },
  };
}

/** Wraps a connected client (exported for tests, which pass a stand-in client). */
export function tesseraConnection(client: TesseraClientLike, setup: ConnectionSetup): TargetConnection {
  return new TesseraConnection(client, setup);
}

export async function openTesseraConnection(setup: ConnectionSetup): Promise<TargetConnection> {
  const connect = loadTesseraConnect();
  if (typeof connect === 'string') throw new Error(connect);
  const autoPipelining = setup.endpoint.autoPipelining;
  const client = await connect(tesseraUrl(setup.endpoint.host, setup.endpoint.port), autoPipelining === undefined ? {} : { autoPipelining });
  return new TesseraConnection(client, setup);
}

/** Why the fanout workload cannot run on Tessera (client missing, or no subscribe yet), or null. */
export async function tesseraFanoutUnsupported(host: string, port: number): Promise<string | null> {
  const connect = loadTesseraConnect();
  if (typeof connect === 'string') return connect;
  const client = await connect(tesseraUrl(host, port));
  try {
    return typeof client.subscribe === 'function' ? null : 'the Tessera client has no subscribe() yet (a later issue adds it)';
  } finally {
    await client.close();
  }
}
