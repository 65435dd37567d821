// Recovery replays a WAL much longer than the change log's window without building a change per
// record (front/recovery.ts reads the window's tail back in a second pass): after a restart the
// change log must hold exactly the window a full replay would have left (same LSNs, same changes,
// tags included), older positions answer a Gap, and a reader resuming from any LSN inside the
// window gets exactly the changes after it. Also the case the WAL is shorter than the window, and
// a WAL replayed over a snapshot.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Engine } from './front/engine';
import type { Change } from './layout/types';
import { Status } from './layout/status';
import { SeededRandom, testSeed } from './layout/seeded-random';
import { readState, sorted, storeNs, writeMix, type State } from './persistence.fixture';
import { tempDirMaker } from './layout/temp-dirs.fixture';

const newTempDir = tempDirMaker('tessera-recovery-window-');
const windowChanges = 64;

function open(dataDir: string): Promise<Engine> {
  return Engine.open({
    shards: 2,
    sweepIntervalMs: 0,
    changeLogCapacity: windowChanges,
    namespaces: [{ name: storeNs }],
    persistence: { dataDir, fsync: 'never', snapshotIntervalSec: 0, walSegmentBytes: 1024 * 1024 },
  });
}

const hex = (bytes: Uint8Array | null | undefined): string | null => (bytes == null ? null : Buffer.from(bytes).toString('hex'));

/** A change as plain data (drained changes and WAL changes are different classes). */
function plain(change: Change): unknown[] {
  return [change.lsn, change.kind, change.ns, hex(change.key), hex(change.value), change.generation, change.expiry, change.lastModified, change.contentType, hex(change.tags)];
}

function windowOf(engine: Engine): unknown[][] {
  const changes = engine.changes.readFrom(engine.changes.oldestLsn - 1);
  assert.ok(Array.isArray(changes), 'the window reads without a gap');
  return changes.map(plain);
}

/** Puts of 2 KiB values, 250 per batch: megabytes of WAL, so it spans several 1 MiB segments. */
async function writeBulk(engine: Engine, model: State, count: number): Promise<void> {
  for (let start = 0; start < count; start += 250) {
    const keys = Array.from({ length: Math.min(250, count - start) }, (_, index) => `bulk/${(start + index) % 1000}`);
    const value = `${start}:`.padEnd(2048, '#');
    const results = await engine.batch(keys.map((key) => ({ op: 'put' as const, ns: storeNs, key, value, contentType: 'text/plain' })));
    results.forEach((result, index) => {
      assert.equal(result.status, Status.Ok);
      model.set(keys[index]!, { value, generation: result.generation, expiry: result.expiry, lastModified: result.lastModified, contentType: 'text/plain' });
    });
  }
}

/** Some tagged puts and their removal, so tag runs travel through the replayed tail too. */
async function writeTagged(engine: Engine, model: State, from: number, count: number): Promise<void> {
  for (let index = from; index < from + count; index++) {
    const key = `tagged/${index % 7}`;
    const value = `t${index}`;
    const result = await engine.put(storeNs, key, value, { contentType: 'text/plain', tags: [`group-${index % 3}`, 'all'] });
    assert.equal(result.status, Status.Ok);
    model.set(key, { value, generation: result.generation, expiry: result.expiry, lastModified: result.lastModified, contentType: 'text/plain' });
    if (index % 5 === 0) {
      assert.equal((await engine.delete(storeNs, key)).status, Status.Ok);
      model.delete(key);
    }
  }
}

async function checkRestart(dataDir: string, model: State, before: unknown[][], lastLsn: number): Promise<void> {
  const engine = await open(dataDir);
  try {
    assert.equal(engine.changes.lastLsn, lastLsn, 'LSNs continue where they stopped');
    assert.deepEqual(windowOf(engine), before, 'the change log holds the same window as before the restart');
    assert.deepEqual(sorted(await readState(engine)), sorted(model));
    const oldest = engine.changes.oldestLsn;
    if (oldest > 1) {
      const gap = engine.changes.readFrom(oldest - 2);
      assert.ok(!Array.isArray(gap) && gap.gap, 'a position older than the window is a Gap');
    }
    // Resuming from every position inside the window: exactly the changes after it, in order.
    for (let from = oldest - 1; from <= lastLsn; from++) {
      const changes = engine.changes.readFrom(from);
      assert.ok(Array.isArray(changes));
      assert.deepEqual(changes.map((change) => change.lsn), Array.from({ length: lastLsn - from }, (_, index) => from + 1 + index));
    }
    // New changes continue the log after the replayed tail.
    assert.equal((await engine.put(storeNs, 'after-restart', 'x')).status, Status.Ok);
    assert.equal(engine.changes.lastLsn, lastLsn + 1);
  } finally {
    await engine.close();
  }
}

test('a WAL many times longer than the change log window: the window after restart is the one before', async (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (TESSERA_SEED=${seed} replays it)`);
  const random = new SeededRandom(seed);
  const dataDir = newTempDir();
  const model: State = new Map();
  const engine = await open(dataDir);
  let before: unknown[][];
  let lastLsn: number;
  try {
    await writeBulk(engine, model, 2500);
    await writeMix(engine, model, random, 1500, 200);
    await writeTagged(engine, model, 0, 40);
    await writeMix(engine, model, random, 30, 200);
    lastLsn = engine.changes.lastLsn;
    assert.ok(lastLsn > 10 * windowChanges, `the WAL (${lastLsn} changes) is far longer than the window`);
    assert.ok(fs.readdirSync(path.join(dataDir, 'wal')).length >= 4, 'the WAL spans several segments (the tail pass skips the covered ones)');
    before = windowOf(engine);
    assert.equal(before.length, windowChanges);
  } finally {
    await engine.close();
  }
  await checkRestart(dataDir, model, before, lastLsn);
});

test('a WAL shorter than the window, and a WAL replayed over a snapshot', async (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (TESSERA_SEED=${seed} replays it)`);
  const random = new SeededRandom(seed);
  const dataDir = newTempDir();
  const model: State = new Map();
  let engine = await open(dataDir);
  let before: unknown[][];
  let lastLsn: number;
  try {
    await writeTagged(engine, model, 0, 20);
    lastLsn = engine.changes.lastLsn;
    assert.ok(lastLsn < windowChanges);
    before = windowOf(engine);
  } finally {
    await engine.close();
  }
  await checkRestart(dataDir, model, before, lastLsn);
  // The check wrote one more put: the model follows it, then a snapshot and a long WAL after it.
  engine = await open(dataDir);
  try {
    const record = await engine.get(storeNs, 'after-restart');
    assert.equal(record.status, Status.Ok);
    model.set('after-restart', { value: 'x', generation: record.generation, expiry: record.expiry, lastModified: record.lastModified, contentType: record.contentType });
    await writeMix(engine, model, random, 300, 100);
    await engine.snapshot();
    await writeBulk(engine, model, 1500);
    await writeMix(engine, model, random, 600, 100);
    await writeTagged(engine, model, 100, 10);
    lastLsn = engine.changes.lastLsn;
    before = windowOf(engine);
  } finally {
    await engine.close();
  }
  await checkRestart(dataDir, model, before, lastLsn);
});
