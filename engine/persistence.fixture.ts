// Test-only helpers for the engine-level durability tests (persistence, recovery, disk faults):
// open a persisting engine on a data dir, read a namespace's whole state, and write a seeded mix of
// ops while keeping a Map model of what the engine answered.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from './front/engine';
import type { EngineOpenOptions } from './front/engine-api';
import type { PersistenceConfigInput } from './front/persistence-config';
import { Status } from './layout/status';
import type { RecordMeta } from './layout/types';
import { SeededRandom } from './layout/seeded-random';

export const storeNs = 'content';
/** A second namespace that answers writes from memory (its changes still reach the WAL). */
export const memoryNs = 'fast';

export interface StoredRecord extends RecordMeta {
  value: string;
}

export type State = Map<string, StoredRecord>;

export function openPersistent(dataDir: string, persistence: PersistenceConfigInput = {}, options: EngineOpenOptions = {}): Promise<Engine> {
  return Engine.open({
    shards: 2,
    sweepIntervalMs: 0,
    namespaces: [{ name: storeNs }, { name: memoryNs, ack: 'memory' }],
    persistence: persistence === false ? false : { dataDir, fsync: 'always', snapshotIntervalSec: 0, walSegmentBytes: 1024 * 1024, ...persistence },
  }, options);
}

/** Every record of a namespace, by key (a full scan, bounded in pages). */
export async function readState(engine: Engine, ns: string = storeNs): Promise<State> {
  const state: State = new Map();
  let cursor: string | undefined;
  for (let pages = 0; pages < 100_000; pages++) {
    const page = await engine.scan(ns, { limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    for (const record of page.records) {
      state.set(Buffer.from(record.key).toString(), {
        value: Buffer.from(record.value ?? new Uint8Array(0)).toString(),
        generation: record.generation,
        expiry: record.expiry,
        lastModified: record.lastModified,
        contentType: record.contentType,
      });
    }
    if (page.cursor === null) return state;
    cursor = page.cursor;
  }
  assert.fail('scan did not finish');
}

/** The state as a sorted array (deepEqual on Maps prints poorly when they differ). */
export function sorted(state: State): [string, StoredRecord][] {
  return [...state.entries()].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
}

/**
 * Runs `count` seeded writes (puts with content types and TTLs, deletes, touches, CAS puts) on
 * `keys` keys, `parallel` at a time, and keeps `model` equal to what the engine answered.
 */
export async function writeMix(engine: Engine, model: State, random: SeededRandom, count: number, keys: number, parallel = 16): Promise<void> {
  for (let done = 0; done < count; done += parallel) {
    const batch: Promise<void>[] = [];
    const used = new Set<string>();
    for (let index = done; index < Math.min(count, done + parallel); index++) {
      const key = `k${random.below(keys)}`;
      if (used.has(key)) continue; // one write per key in flight: the model stays exact
      used.add(key);
      batch.push(writeOne(engine, model, random, key, index));
    }
    await Promise.all(batch);
  }
}

async function writeOne(engine: Engine, model: State, random: SeededRandom, key: string, index: number): Promise<void> {
  const choice = random.below(10);
  const current = model.get(key);
  if (choice < 6 || current === undefined) {
    const value = `v${index}-${'x'.repeat(random.below(200))}`;
    const contentType = choice % 2 === 0 ? 'text/plain' : 'application/json';
    const ttl = choice === 1 ? 3600 : 0;
    const cas = choice === 2 && current !== undefined ? { ifGeneration: current.generation } : {};
    const result = await engine.put(storeNs, key, value, { contentType, ttl, ...cas });
    assert.equal(result.status, Status.Ok, `put ${key}`);
    model.set(key, { value, generation: result.generation, expiry: result.expiry, lastModified: result.lastModified, contentType });
  } else if (choice < 8) {
    const result = await engine.delete(storeNs, key);
    assert.equal(result.status, Status.Ok, `delete ${key}`);
    model.delete(key);
  } else if (choice === 8) {
    const result = await engine.touch(storeNs, key, 7200);
    assert.equal(result.status, Status.Ok, `touch ${key}`);
    model.set(key, { ...current, expiry: result.expiry, lastModified: result.lastModified });
  } else {
    // A CAS that must fail: nothing changes, and nothing reaches the WAL.
    const result = await engine.put(storeNs, key, 'never', { ifGeneration: current.generation + 1000 });
    assert.equal(result.status, Status.GenerationMismatch, `failed CAS ${key}`);
  }
}

export function walSegments(dataDir: string): string[] {
  return fs.readdirSync(path.join(dataDir, 'wal')).filter((name) => name.endsWith('.wal')).sort();
}

export function snapshotFiles(dataDir: string): string[] {
  return fs.readdirSync(path.join(dataDir, 'snapshots')).filter((name) => !name.includes('.tmp')).sort();
}
