// A shard thread that dies is replaced by Piscina; the new thread re-attaches the same shared
// memory, replays the journal tail its predecessor committed but had not applied, and no
// acknowledged write is lost. Ops in flight on the dead shard fail with ShardUnavailable.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from './engine';
import { Status } from '../layout/status';
import type { Op } from '../layout/types';

function keysOnShard(engine: Engine, shard: number, count: number, prefix: string): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) if (engine.shardOf('content', `${prefix}${i}`) === shard) keys.push(`${prefix}${i}`);
  return keys;
}

test('a shard killed mid-load loses no acknowledged write and keeps serving', async () => {
  const engine = await Engine.open({ shards: 2, sweepIntervalMs: 0 });
  try {
    const acknowledged = new Map<string, string>();
    let unavailable = 0;
    const crashes: Promise<void>[] = [];
    for (let round = 0; round < 60; round++) {
      const ops: Op[] = Array.from({ length: 50 }, (_, i) => ({ op: 'put', ns: 'content', key: `load-${i + 50 * (round % 10)}`, value: `round-${round}` }));
      const pending = engine.batch(ops);
      // Kill shard 0 three times while batches are in flight, once by an uncaught exception.
      if (round === 10 || round === 30) crashes.push(engine.testing.crashShard(0, 'exit'));
      if (round === 45) crashes.push(engine.testing.crashShard(1, 'throw'));
      const results = await pending;
      results.forEach((result, i) => {
        if (result.status === Status.Ok) acknowledged.set(String(ops[i]!.key), `round-${round}`);
        else {
          assert.equal(result.status, Status.ShardUnavailable, `only ShardUnavailable may fail, got ${Status[result.status]}`);
          unavailable++;
        }
      });
    }
    await Promise.all(crashes);
    assert.ok(engine.stats().shardRestarts >= 2, `restarts: ${engine.stats().shardRestarts}`);
    for (const [key, value] of acknowledged) {
      const result = await engine.get('content', key);
      assert.equal(result.status, Status.Ok, `${key} readable after restarts`);
      // A later unacknowledged write may have landed too; never an older value.
      const round = Number(Buffer.from(result.value!).toString().slice(6));
      assert.ok(round >= Number(value.slice(6)), `${key}: read round ${round}, acknowledged ${value}`);
    }
    console.log(`acknowledged keys ${acknowledged.size}, ops failed with ShardUnavailable ${unavailable}, restarts ${engine.stats().shardRestarts}`);
    // The replacement threads serve reads and writes.
    assert.equal((await engine.put('content', 'after', 'alive')).status, Status.Ok);
  } finally {
    await engine.close();
  }
});

test('death between the journal append and the index swap: the replacement replays the commit', async () => {
  const engine = await Engine.open({ shards: 2, sweepIntervalMs: 0 });
  try {
    const [key, neighbour] = keysOnShard(engine, 1, 2, 'replay-');
    assert.equal((await engine.put('content', neighbour!, 'before')).status, Status.Ok);
    assert.equal((await engine.put('content', key!, 'v1')).status, Status.Ok);
    await engine.testing.crashShard(1, 'exitAfterNextAppend');
    const lsnBefore = engine.changes.lastLsn;
    // The thread commits v2 to its journal, then dies before swapping the index entry.
    const dying = await engine.put('content', key!, 'v2');
    assert.equal(dying.status, Status.ShardUnavailable, 'the write was not acknowledged');
    const after = await engine.get('content', key!);
    assert.equal(after.status, Status.Ok);
    assert.equal(Buffer.from(after.value!).toString(), 'v2', 'the committed write was replayed');
    assert.equal(after.generation, 2);
    assert.equal(Buffer.from((await engine.get('content', neighbour!)).value!).toString(), 'before');
    const changes = engine.changes.readFrom(lsnBefore);
    assert.ok(Array.isArray(changes));
    assert.equal(changes.filter((change) => change.kind === 'put' && Buffer.from(change.key).toString() === key).length, 1, 'the committed put is logged once');
    const next = await engine.put('content', key!, 'v3', { ifGeneration: 2 });
    assert.equal(next.status, Status.Ok);
    assert.equal(next.generation, 3);
    assert.equal(engine.stats().namespaces[0]!.records, 2, 'stats were rebuilt by the replacement');
  } finally {
    await engine.close();
  }
});
