// A snapshot is loaded chunk by chunk: a chunk whose keys one shard owns goes to that shard whole
// (one apply-records op, shard/shard-apply-records.ts); with another shard count than the writer's,
// a chunk's keys spread over shards and each record goes on its own (front/recovery.ts). Both must
// rebuild the same state: values, generations, expiries, lastModified, content types, and the
// tag index (taggedKeys); a record whose expiry passed stays invisible.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from './front/engine';
import { Status } from './layout/status';
import { SeededRandom, testSeed } from './layout/seeded-random';
import { readState, sorted, storeNs, writeMix, type State } from './persistence.fixture';
import { tempDirMaker } from './layout/temp-dirs.fixture';

const newTempDir = tempDirMaker('tessera-recovery-chunks-');

function open(dataDir: string, shards: number): Promise<Engine> {
  return Engine.open({
    shards,
    sweepIntervalMs: 0,
    namespaces: [{ name: storeNs }],
    persistence: { dataDir, fsync: 'never', snapshotIntervalSec: 0, walSegmentBytes: 1024 * 1024 },
  });
}

async function tagCounts(engine: Engine): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const tag of ['all', 'group-0', 'group-1', 'group-2', 'none']) {
    const pages = await engine.taggedKeys(storeNs, tag, 10_000);
    counts[tag] = pages.reduce((sum, page) => sum + page.total, 0);
  }
  return counts;
}

test('snapshot chunks: whole to their shard with the same shard count, record by record with another; same state and tags', async (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (TESSERA_SEED=${seed} replays it)`);
  const random = new SeededRandom(seed);
  const dataDir = newTempDir();
  const model: State = new Map();
  let engine = await open(dataDir, 2);
  let tags: Record<string, number>;
  let lsn: number;
  try {
    for (let index = 0; index < 600; index++) {
      const key = `tagged/${index}`;
      const value = `t${index}`;
      const result = await engine.put(storeNs, key, value, { contentType: 'text/plain', tags: [`group-${index % 3}`, 'all'] });
      assert.equal(result.status, Status.Ok);
      model.set(key, { value, generation: result.generation, expiry: result.expiry, lastModified: result.lastModified, contentType: 'text/plain' });
    }
    await writeMix(engine, model, random, 3000, 2000);
    // Expires while the node is down (the clock moves past it below): recovered, never visible.
    assert.equal((await engine.put(storeNs, 'short-lived', 'x', { ttl: 1 })).status, Status.Ok);
    tags = await tagCounts(engine);
    assert.equal(tags['all'], 600);
    await engine.snapshot();
    lsn = engine.changes.lastLsn;
  } finally {
    await engine.close();
  }
  for (const shards of [2, 3, 1]) {
    engine = await open(dataDir, shards);
    try {
      const recovery = engine.persistenceStats()!.recovery!;
      assert.equal(recovery.snapshotLsn, lsn);
      assert.equal(recovery.snapshotRecords, model.size + 1);
      // The first reopen's read expires 'short-lived' (an `expired` change): the later ones replay it.
      assert.equal(recovery.walRecords, shards === 2 ? 0 : 1);
      const opsSent = engine.shardCounters().reduce((sum, shard) => sum + shard.ops, 0);
      // Two shards: the writer's chunks go whole (a few ops); three: one op per record.
      if (shards === 2) assert.ok(opsSent < 50, `chunks went whole (${opsSent} ops)`);
      if (shards === 3) assert.ok(opsSent > model.size, `records went one by one (${opsSent} ops)`);
      engine.testing.setClockMs(Date.now() + 5000);
      assert.deepEqual(sorted(await readState(engine)), sorted(model), `state with ${shards} shards`);
      assert.equal((await engine.get(storeNs, 'short-lived')).status, Status.NotFound, 'expired while down: not resurrected');
      assert.deepEqual(await tagCounts(engine), tags, `tag index with ${shards} shards`);
    } finally {
      await engine.close();
    }
  }
});
