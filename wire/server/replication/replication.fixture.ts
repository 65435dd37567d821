// Test support (not a test): real primary and replica processes for the replication tests, a
// write load over several connections, the whole content of a node (every key, value, generation,
// content type), and /status polling.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type Client } from '../../client';
import { SeededRandom } from '../../../engine/layout/seeded-random';
import { waitRecovered } from '../durability.fixture';
import { spawnServer, type ServerProcess } from '../server-process.fixture';

export const namespace = 'content';

export interface NodeOptions {
  /** Change log window of the node (a small one sends a replica's catch-up to the WAL). */
  changeLogCapacity?: number;
  snapshotIntervalSec?: number;
  walSegmentBytes?: number;
  replicaOf?: string;
  /** Namespaces instead of the one `content` store. */
  namespaces?: object[];
  /** More engine settings (minReplicas, replicaAckTimeoutMs). */
  engine?: object;
  /** Access control ("auth": tokens, openStatus...). */
  auth?: object;
}

/** A data dir that outlives the processes started on it; removed by removeAll(). */
export class DataDirs {
  readonly #made: string[] = [];
  make(name: string): string {
    const directory = mkdtempSync(path.join(tmpdir(), `tessera-repl-${name}-`));
    this.#made.push(directory);
    return directory;
  }
  removeAll(): void {
    for (const directory of this.#made.splice(0)) rmSync(directory, { recursive: true, force: true });
  }
}

export function nodeConfig(dataDir: string, options: NodeOptions = {}): object {
  return {
    logLevel: 'info',
    persistence: { dataDir, fsync: 'never', snapshotIntervalSec: options.snapshotIntervalSec ?? 0, walSegmentBytes: options.walSegmentBytes ?? 1024 * 1024 },
    engine: {
      shards: 2,
      sweepIntervalMs: 0,
      changeLogCapacity: options.changeLogCapacity ?? 65536,
      namespaces: options.namespaces ?? [{ name: namespace, mode: 'store', maxKeyBytes: 256, maxValueBytes: 64 * 1024 }],
      ...options.engine,
    },
    limits: { shutdownGraceMs: 5000 },
    ...(options.replicaOf === undefined ? {} : { replicaOf: options.replicaOf }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
  };
}

/** A node, once it has replayed its data dir (a server listens while it recovers; ops answer Recovering then). */
export async function startNode(dataDir: string, options: NodeOptions = {}): Promise<ServerProcess> {
  const server = await spawnServer({ config: nodeConfig(dataDir, options) });
  await waitRecovered(server.httpUrl);
  return server;
}

export async function status(node: ServerProcess): Promise<Record<string, unknown> & { lastLsn: number; replication: Record<string, unknown> }> {
  const response = await fetch(`${node.httpUrl}/status`);
  return (await response.json()) as Record<string, unknown> & { lastLsn: number; replication: Record<string, unknown> };
}

/** Polls `check` every 25 ms until it is true; fails after timeoutMs naming `what`. */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 100_000; attempt++) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until the replica has applied everything the (idle) primary holds. */
export async function waitConverged(primary: ServerProcess, replica: ServerProcess, timeoutMs = 20_000): Promise<number> {
  let target = 0;
  await waitUntil('the replica to apply the primary\'s last LSN', timeoutMs, async () => {
    target = (await status(primary)).lastLsn;
    const replication = (await status(replica)).replication;
    return replication['appliedLsn'] === target && replication['connected'] === true;
  });
  return target;
}

/** Every record of the namespace, by key: value (hex), generation, content type. */
export async function contents(node: ServerProcess): Promise<Map<string, string>> {
  const client = await connect(node.wsUrl, { reconnect: false });
  const found = new Map<string, string>();
  try {
    let cursor: string | null | undefined;
    for (let pages = 0; pages < 10_000 && cursor !== null; pages++) {
      const page = await client.scan(namespace, { limit: 500, values: true, ...(cursor === undefined ? {} : { cursor }) });
      for (const record of page.records) {
        found.set(Buffer.from(record.key).toString(), `${record.generation} ${record.contentType} ${Buffer.from(record.value ?? new Uint8Array(0)).toString('hex')}`);
      }
      cursor = page.cursor;
    }
  } finally {
    await client.close();
  }
  return found;
}

export async function assertSameContents(primary: ServerProcess, replica: ServerProcess): Promise<number> {
  const expected = await contents(primary);
  const actual = await contents(replica);
  assert.equal(actual.size, expected.size, 'the replica holds as many records as the primary');
  for (const [key, record] of expected) assert.equal(actual.get(key), record, `key ${key}: generation, content type and value equal`);
  return expected.size;
}

/**
 * Puts (and some deletes) over several connections until stopped: keys from a small universe, so
 * records are rewritten (generations move) and removed. Every loop is bounded by opsMax.
 */
export class WriteLoad {
  readonly #clients: Client[];
  readonly #random: SeededRandom;
  #running = false;
  #lanes: Promise<void>[] = [];
  acknowledged = 0;
  failures = 0;

  private constructor(clients: Client[], seed: number) {
    this.#clients = clients;
    this.#random = new SeededRandom(seed);
  }

  static async open(node: ServerProcess, connections = 3, seed = Date.now() % 1_000_000): Promise<WriteLoad> {
    const clients = await Promise.all(Array.from({ length: connections }, () => connect(node.wsUrl, { reconnect: false })));
    return new WriteLoad(clients, seed);
  }

  /** Runs `count` writes now and waits for them (no load running). */
  async burst(count: number, valueBytes = 200): Promise<void> {
    const client = this.#clients[0]!;
    for (let index = 0; index < count; index += 50) {
      await Promise.all(Array.from({ length: Math.min(50, count - index) }, () => this.#write(client, valueBytes)));
    }
  }

  start(valueBytes = 200, opsMax = 1_000_000): void {
    this.#running = true;
    this.#lanes = this.#clients.map(async (client) => {
      for (let ops = 0; ops < opsMax && this.#running; ops++) await this.#write(client, valueBytes);
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#lanes);
  }

  async close(): Promise<void> {
    await this.stop();
    await Promise.all(this.#clients.map((client) => client.close()));
  }

  async #write(client: Client, valueBytes: number): Promise<void> {
    const key = `key/${this.#random.below(400)}`;
    try {
      if (this.#random.below(10) === 0) await client.delete(namespace, key);
      else {
        const value = Buffer.alloc(valueBytes, `${this.#random.below(1_000_000)}:`);
        await client.put(namespace, key, value, { contentType: this.#random.below(2) === 0 ? 'text/plain' : 'application/json' });
      }
      this.acknowledged++;
    } catch {
      this.failures++;
    }
  }
}
