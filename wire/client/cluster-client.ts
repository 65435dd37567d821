// connect([url1, url2, ...]): one client over a primary and its replicas (issue 12). It finds the
// primary (node-set.ts: each node's /status), sends writes there through an ordinary Client
// (client.ts, unchanged: one connection, pipelining, reconnect), and follows a promotion:
//
//   write ──► primary Client ──Ok──► caller
//                 │ ReadOnly (the node is, or has just become, a replica: nothing was applied)
//                 │ ClientClosed (this wrapper replaced the client after a promotion)
//                 ▼
//   rediscover (one at a time) ──► a new primary: a new Client to it, the old one closed
//                 ▼
//   the call is sent again after a backoff, until its requestTimeoutMs deadline
//
// A write that failed ConnectionLost or Timeout is NOT sent again (it may have been applied,
// client.ts); the dropped connection starts a rediscovery, so the next call goes to the new
// primary. ReadOnly is safe to retry: a refused write never took effect. During a coordinated
// failover (tessera failover) the old primary answers ReadOnly while it waits for the target:
// writes are retried until the target is promoted, so none fails.
//
// With `readFrom: 'replica'`, gets, heads, scans and read-only batches go round robin to the
// replicas that are connected (the primary when none is); replicas may lag the primary (reads of
// your own writes may not see them yet). Subscriptions run on the primary's connection; when a
// promotion replaces it they subscribe again on the new primary from the last LSN they delivered
// (following-subscription.ts): the LSNs are the same on every node, so nothing is missed.

import { Status } from '../../engine/layout/status';
import type { Key, ScanOptions, ScanPage, Value } from '../../engine/layout/types';
import { reconnectDelayMs } from './backoff';
import { Client } from './client';
import type { BatchOp, BatchResult, ConnectOptions, DeleteOptions, GetResult, PurgeOptions, PutOptions, RecordMetadata } from './client-types';
import { discover, nodesMax, httpOriginOfClientUrl, type Discovery } from './node-set';
import { FollowingSubscription } from './following-subscription';
import type { SubscribeOptions } from './subscription-types';
import { TesseraError } from './tessera-error';

/** Where reads go: the primary (default: reads see every acknowledged write), or spread over replicas. */
export type ReadFrom = 'primary' | 'replica';

export interface ClusterOptions extends ConnectOptions {
  readFrom?: ReadFrom;
}

/** Retries of one call at most (each after a backoff, all within its requestTimeoutMs). */
const callAttemptsMax = 1000;
/** Discovery rounds of one rediscovery at most; each waits a backoff when no primary answered. */
const discoveryRoundsMax = 100_000;
/** Backoff between retries of a refused write: short, a promotion takes milliseconds. */
const retryDelayMsMin = 20;
const retryDelayMsMax = 500;

type Call<Result> = (client: Client) => Promise<Result>;

export class ClusterClient {
  readonly #urls: readonly string[];
  readonly #options: ConnectOptions;
  readonly #readFrom: ReadFrom;
  #primary: Client | null = null;
  #primaryUrl: string | null = null;
  readonly #replicas = new Map<string, Client>();
  #nextReplica = 0;
  #discovering: Promise<void> | null = null;
  /** Without /status answers: the index of the URL tried as the primary next (rotation on ReadOnly). */
  #rotation = 0;
  #closed = false;
  /** Primaries this client has switched to after the first (a promotion followed). */
  switches = 0;

  private constructor(urls: readonly string[], options: ConnectOptions, readFrom: ReadFrom) {
    this.#urls = urls;
    this.#options = options;
    this.#readFrom = readFrom;
  }

  static async connect(urls: readonly string[], options: ClusterOptions = {}): Promise<ClusterClient> {
    if (!Array.isArray(urls) || urls.length === 0 || urls.length > nodesMax || !urls.every((url) => typeof url === 'string')) {
      throw new TypeError(`connect: give one URL or an array of 1 to ${nodesMax} URLs such as ['ws://10.0.0.1:7700/v1/ws', 'ws://10.0.0.2:7700/v1/ws']`);
    }
    for (const url of urls) httpOriginOfClientUrl(url);
    const { readFrom = 'primary', ...inner } = options;
    if (readFrom !== 'primary' && readFrom !== 'replica') throw new TypeError(`connect: readFrom must be 'primary' or 'replica', got ${String(readFrom)}`);
    const cluster = new ClusterClient([...urls], inner, readFrom);
    const deadlineMs = performance.now() + (inner.connectTimeoutMs ?? 10_000);
    await cluster.#rediscover(deadlineMs);
    if (cluster.#primary === null) {
      await cluster.close();
      throw TesseraError.client('ConnectionFailed', `no primary answered among ${urls.join(', ')}`);
    }
    return cluster;
  }

  /** The client URL writes go to now. */
  get primaryUrl(): string | null {
    return this.#primaryUrl;
  }

  /** The replicas reads are spread over (readFrom 'replica'). */
  get replicaUrls(): string[] {
    return [...this.#replicas.keys()];
  }

  get status(): 'ready' | 'reconnecting' | 'closed' {
    if (this.#closed) return 'closed';
    return this.#primary?.status === 'ready' ? 'ready' : 'reconnecting';
  }

  get(ns: string, key: Key): Promise<GetResult | null> {
    return this.#read((client) => client.get(ns, key));
  }

  head(ns: string, key: Key): Promise<RecordMetadata | null> {
    return this.#read((client) => client.head(ns, key));
  }

  scan(ns: string, options: ScanOptions = {}): Promise<ScanPage> {
    return this.#read((client) => client.scan(ns, options));
  }

  put(ns: string, key: Key, value: Value, options: PutOptions = {}): Promise<{ generation: number }> {
    return this.#write((client) => client.put(ns, key, value, options));
  }

  delete(ns: string, key: Key, options: DeleteOptions = {}): Promise<boolean> {
    return this.#write((client) => client.delete(ns, key, options));
  }

  touch(ns: string, key: Key, ttl?: number): Promise<RecordMetadata | null> {
    return this.#write((client) => client.touch(ns, key, ttl));
  }

  /** A purge is a write: on the primary, sent again only after ReadOnly (then nothing was deleted). */
  purge(options: PurgeOptions): Promise<{ deleted: number }> {
    return this.#write((client) => client.purge(options));
  }

  /**
   * A read-only batch follows readFrom; one with writes goes to the primary, and is sent again
   * only when every write in it was refused ReadOnly (then none took effect).
   */
  async batch(ops: readonly BatchOp[]): Promise<BatchResult[]> {
    if (Array.isArray(ops) && ops.every((op) => op !== null && typeof op === 'object' && (op.op === 'get' || op.op === 'head' || op.op === 'scan'))) {
      return this.#read((client) => client.batch(ops));
    }
    return this.#write(async (client) => {
      const results = await client.batch(ops);
      const writes = results.filter((_, index) => !isRead(ops[index]!));
      if (writes.length > 0 && writes.every((result) => result.status === 'ReadOnly')) throw TesseraError.fromStatus(Status.ReadOnly, 'every write of the batch was refused ReadOnly');
      return results;
    });
  }

  /** On the primary's connection; it moves to the new primary after a promotion (following-subscription.ts). */
  subscribe(options: SubscribeOptions): FollowingSubscription {
    const client = this.#primary;
    if (client === null || this.#closed) throw TesseraError.client('ClientClosed');
    const timeoutMs = this.#options.requestTimeoutMs === 0 ? 60_000 : (this.#options.requestTimeoutMs ?? 30_000);
    return new FollowingSubscription({
      primary: () => this.#primaryBy(performance.now() + timeoutMs),
      uses: (used) => used === this.#primary,
      isClosed: () => this.#closed,
    }, client, options);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const clients = [this.#primary, ...this.#replicas.values()].filter((client): client is Client => client !== null);
    this.#primary = null;
    this.#replicas.clear();
    await Promise.all(clients.map((client) => client.close()));
  }

  async #read<Result>(call: Call<Result>): Promise<Result> {
    return this.#attempt(call, false);
  }

  async #write<Result>(call: Call<Result>): Promise<Result> {
    return this.#attempt(call, true);
  }

  /** Sends the call, again after a switch or a ReadOnly refusal of a write, until its deadline. */
  async #attempt<Result>(call: Call<Result>, write: boolean): Promise<Result> {
    const deadlineMs = performance.now() + (this.#options.requestTimeoutMs === 0 ? Number.POSITIVE_INFINITY : this.#options.requestTimeoutMs ?? 30_000);
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw TesseraError.client('ClientClosed');
      const client = write ? await this.#primaryBy(deadlineMs) : this.#reader() ?? (await this.#primaryBy(deadlineMs));
      try {
        return await call(client);
      } catch (error: unknown) {
        if (!(error instanceof TesseraError) || this.#closed || attempt + 1 >= callAttemptsMax || performance.now() >= deadlineMs) throw error;
        const refused = write && error.status === 'ReadOnly';
        // Closed by this wrapper when it moved on: the call was never sent, or was a read sent again.
        const replaced = error.status === 'ClientClosed' && client !== this.#primary && !this.#replicaClients().includes(client);
        if (!refused && !replaced) {
          if (error.status === 'ConnectionLost') void this.#rediscover(deadlineMs);
          throw error;
        }
        if (refused) {
          if (this.#primaryUrl !== null && this.#primary === client) this.#rotation = this.#urls.indexOf(this.#primaryUrl) + 1;
          void this.#rediscover(deadlineMs);
        }
        await sleep(Math.min(reconnectDelayMs(Math.min(attempt, 10), retryDelayMsMin, retryDelayMsMax), Math.max(0, deadlineMs - performance.now())));
      }
    }
  }

  #replicaClients(): Client[] {
    return [...this.#replicas.values()];
  }

  /** A connected replica, round robin; null when reads go to the primary. */
  #reader(): Client | null {
    if (this.#readFrom !== 'replica' || this.#replicas.size === 0) return null;
    const clients = this.#replicaClients();
    for (let step = 0; step < clients.length; step++) {
      const client = clients[(this.#nextReplica + step) % clients.length]!;
      if (client.status === 'ready') {
        this.#nextReplica = (this.#nextReplica + step + 1) % clients.length;
        return client;
      }
    }
    return null;
  }

  /** The primary's client, waiting for a rediscovery under way (at most until the deadline). */
  async #primaryBy(deadlineMs: number): Promise<Client> {
    for (let round = 0; round < 2; round++) {
      const pending = this.#discovering;
      if (pending !== null) await Promise.race([pending, sleep(Math.max(0, deadlineMs - performance.now()))]);
      const primary = this.#primary;
      if (primary !== null) return primary;
      if (this.#closed) throw TesseraError.client('ClientClosed');
      void this.#rediscover(deadlineMs);
    }
    throw TesseraError.client('Timeout', `no primary found among ${this.#urls.join(', ')} in time`);
  }

  /** One discovery at a time; callers that come while one runs share it. */
  #rediscover(deadlineMs: number): Promise<void> {
    this.#discovering ??= this.#discoverLoop(deadlineMs).finally(() => (this.#discovering = null));
    return this.#discovering;
  }

  async #discoverLoop(deadlineMs: number): Promise<void> {
    const probeMs = Math.max(100, Math.min(this.#options.connectTimeoutMs ?? 10_000, 2_000));
    for (let round = 0; round < discoveryRoundsMax && !this.#closed; round++) {
      const found = await discover(this.#urls, this.#options.token, probeMs);
      if (this.#closed) return;
      const primaryUrl = found.primary ?? (found.answered === 0 ? this.#urls[this.#rotation % this.#urls.length]! : null);
      if (primaryUrl !== null && (await this.#usePrimary(primaryUrl))) {
        await this.#useReplicas(found);
        return;
      }
      if (performance.now() >= deadlineMs) return;
      if (found.answered === 0) this.#rotation++;
      await sleep(reconnectDelayMs(Math.min(round, 10), this.#options.reconnectDelayMsMin ?? 100, Math.min(this.#options.reconnectDelayMsMax ?? 10_000, 1_000)));
    }
  }

  /** Makes `url` the primary (a new Client unless it is already); false when it cannot be reached. */
  async #usePrimary(url: string): Promise<boolean> {
    if (this.#primaryUrl === url && this.#primary !== null) return true;
    let client: Client;
    try {
      client = await Client.connect(url, this.#options);
    } catch {
      return false;
    }
    if (this.#closed) {
      await client.close();
      return false;
    }
    const old = this.#primary;
    if (old !== null) this.switches++;
    this.#primary = client;
    this.#primaryUrl = url;
    // A dropped primary connection may mean a dead primary: look again (the client reconnects meanwhile).
    client.on('disconnect', () => {
      if (this.#primary === client && !this.#closed) void this.#rediscover(performance.now() + (this.#options.connectTimeoutMs ?? 10_000) * 6);
    });
    // Its queued calls fail ClientClosed and are sent again to the new primary by #attempt.
    if (old !== null) void old.close();
    return true;
  }

  /** With readFrom 'replica': one client per replica found, the others closed. */
  async #useReplicas(found: Discovery): Promise<void> {
    if (this.#readFrom !== 'replica') return;
    const wanted = new Set(found.replicas.filter((url) => url !== this.#primaryUrl));
    for (const [url, client] of [...this.#replicas]) {
      if (wanted.has(url)) continue;
      this.#replicas.delete(url);
      void client.close();
    }
    await Promise.all([...wanted].filter((url) => !this.#replicas.has(url)).map(async (url) => {
      try {
        const client = await Client.connect(url, this.#options);
        if (this.#closed) await client.close();
        else this.#replicas.set(url, client);
      } catch {
        // An unreachable replica: reads go to the others (or the primary) until the next discovery.
      }
    }));
  }
}

function isRead(op: BatchOp): boolean {
  return op.op === 'get' || op.op === 'head' || op.op === 'scan';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
