// Redis adapter: ioredis, one connection per lane, pipelining by keeping several commands in flight
// on that connection (ioredis writes each command as it is issued and matches replies in order).
// Auto-pipelining (enableAutoPipelining: the commands of one event-loop turn in one write) is what
// the endpoint asks for; the Tessera client gets the same setting (autoPipelining), so each
// comparison is like for like. Off by default (support connections: preload, readiness).
//
// cdn: GET / SET on strings. cms: HMGET v g / EVALSHA put-if-generation (redis-scripts.ts).
// Mapping functions are module-level so no closure is allocated per op.

import Redis from 'ioredis';
import { fanoutKeys } from './bounds';
import { fanoutKeyNames } from './fanout-keys';
import { outcomeError, outcomeMismatch, outcomeNotFound } from './outcome';
import { fanoutChannel, putIfGenerationSha, setAndPublishSha } from './redis-scripts';
import type { ConnectionSetup, FanoutSubscription, TargetConnection } from './target-connection';

const connectTimeoutMs = 5_000;

export function createRedisClient(host: string, port: number, autoPipelining = false): Redis {
  const client = new Redis({
    host,
    port,
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: autoPipelining,
    maxRetriesPerRequest: 0,
    connectTimeout: connectTimeoutMs,
    // A benchmark connection that drops is an error to report, not something to hide by retrying.
    retryStrategy: () => null,
  });
  // Failures reach the caller through the rejected command; this only stops ioredis printing
  // "Unhandled error event" for the same failure.
  client.on('error', () => undefined);
  return client;
}

const mapError = (): number => outcomeError;
const mapGetString = (value: Buffer | null): number => (value === null ? outcomeNotFound : 0);
const mapOk = (): number => 0;
const mapGetHash = (fields: (Buffer | null)[]): number => {
  const generation = fields[1];
  if (fields[0] === null || fields[0] === undefined || generation === null || generation === undefined) return outcomeNotFound;
  return Number(generation.toString('latin1'));
};
const mapPutIf = (result: unknown): number => {
  if (typeof result !== 'number') return outcomeError;
  return result < 0 ? outcomeMismatch : result;
};

const mapPutWaited = ([result, replicas]: [unknown, unknown]): number => {
  if (typeof replicas !== 'number' || replicas < 1) return outcomeError;
  return typeof result === 'number' ? mapPutIf(result) : 0;
};

class RedisConnection implements TargetConnection {
  readonly #client: Redis;
  readonly #setup: ConnectionSetup;
  readonly #value: Buffer;
  readonly #fanoutKeyNames: string[];
  readonly #subscribers: Redis[] = [];
  #published = 0;

  constructor(client: Redis, setup: ConnectionSetup) {
    this.#client = client;
    this.#setup = setup;
    this.#value = Buffer.from(setup.value.buffer, setup.value.byteOffset, setup.value.byteLength);
    this.#fanoutKeyNames = setup.workload === 'fanout' ? fanoutKeyNames() : [];
  }

  get(keyIndex: number): Promise<number> {
    const key = this.#setup.keyNames[keyIndex] ?? '';
    if (this.#setup.workload === 'cms') return this.#client.hmgetBuffer(key, 'v', 'g').then(mapGetHash, mapError);
    return this.#client.getBuffer(key).then(mapGetString, mapError);
  }

  put(keyIndex: number, ifGeneration: number): Promise<number> {
    const key = this.#setup.keyNames[keyIndex] ?? '';
    const waitReplicas = this.#setup.endpoint.waitReplicas ?? 0;
    if (waitReplicas > 0) {
      // WAIT n 0 right behind the write on the same connection (pipelined: one round trip): it
      // answers once n replicas acknowledged every write this connection made before it.
      const written = this.#setup.workload === 'cms' ? this.#client.evalsha(putIfGenerationSha, 1, key, this.#value, ifGeneration) : this.#client.set(key, this.#value);
      const waited = this.#client.wait(waitReplicas, 0);
      return Promise.all([written, waited]).then(mapPutWaited, mapError);
    }
    if (this.#setup.workload === 'cms') return this.#client.evalsha(putIfGenerationSha, 1, key, this.#value, ifGeneration).then(mapPutIf, mapError);
    return this.#client.set(key, this.#value).then(mapOk, mapError);
  }

  publish(payload: Uint8Array): Promise<number> {
    const key = this.#fanoutKeyNames[this.#published % fanoutKeys] ?? '';
    this.#published++;
    const message = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return this.#client.evalsha(setAndPublishSha, 1, key, message, fanoutChannel).then(mapOk, mapError);
  }

  async subscribe(onPayload: (payload: Uint8Array) => void): Promise<FanoutSubscription> {
    // A subscribed Redis connection can issue nothing else, so each subscription has its own.
    const subscriber = createRedisClient(this.#setup.endpoint.host, this.#setup.endpoint.port);
    this.#subscribers.push(subscriber);
    await subscriber.connect();
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => onPayload(message));
    await subscriber.subscribe(fanoutChannel);
    return { close: () => quitQuietly(subscriber) };
  }

  async close(): Promise<void> {
    await Promise.all(this.#subscribers.map(quitQuietly));
    await quitQuietly(this.#client);
  }
}

async function quitQuietly(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

export async function openRedisConnection(setup: ConnectionSetup): Promise<TargetConnection> {
  const client = createRedisClient(setup.endpoint.host, setup.endpoint.port, setup.endpoint.autoPipelining ?? false);
  await client.connect();
  return new RedisConnection(client, setup);
}
