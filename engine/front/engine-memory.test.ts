// Memory limits: a full store namespace rejects writes whole; a full cache namespace evicts
// (sampled LRU) and logs each eviction, so the log plus the table account for every key.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from './engine';
import { Status } from '../layout/status';

const mebibyte = 1024 * 1024;

test('store mode: OutOfMemory past the limit, nothing partial, room again after deletes', async () => {
  const engine = await Engine.open({ shards: 2, sweepIntervalMs: 0, namespaces: [{ name: 'store', memoryLimitBytes: 2 * mebibyte }] });
  try {
    const value = new Uint8Array(10_000).fill(1);
    let accepted = 0;
    let firstRejected = -1;
    for (let i = 0; i < 400; i++) {
      const result = await engine.put('store', `k${i}`, value);
      if (result.status === Status.Ok) accepted++;
      else {
        assert.equal(result.status, Status.OutOfMemory);
        if (firstRejected < 0) firstRejected = i;
      }
    }
    assert.ok(firstRejected > 0, 'the namespace filled up');
    const stats = engine.stats().namespaces[0]!;
    assert.equal(stats.records, accepted);
    assert.ok(stats.bytes <= 2 * mebibyte, `bytes ${stats.bytes} within the limit`);
    const lsn = engine.changes.lastLsn;
    assert.equal((await engine.put('store', 'one-more', value)).status, Status.OutOfMemory);
    assert.equal(engine.changes.lastLsn, lsn, 'a rejected write logs nothing');
    assert.equal((await engine.get('store', 'one-more')).status, Status.NotFound);
    for (let i = 0; i < 20; i++) await engine.delete('store', `k${i}`);
    assert.equal((await engine.put('store', 'one-more', value)).status, Status.Ok);
  } finally {
    await engine.close();
  }
});

test('cache mode: evicts approximately-LRU records, logs evicted, keeps hot keys', async () => {
  const engine = await Engine.open({ shards: 2, sweepIntervalMs: 0, namespaces: [{ name: 'cache', mode: 'cache', memoryLimitBytes: 2 * mebibyte }] });
  try {
    const value = new Uint8Array(4000).fill(2);
    const hot = Array.from({ length: 20 }, (_, i) => `hot-${i}`);
    for (const key of hot) await engine.put('cache', key, value);
    for (let i = 0; i < 2000; i++) {
      assert.equal((await engine.put('cache', `cold-${i}`, value)).status, Status.Ok, `put cold-${i}`);
      if (i % 10 === 0) await engine.batch(hot.map((key) => ({ op: 'get' as const, ns: 'cache', key })));
    }
    const stats = engine.stats().namespaces[0]!;
    assert.ok(stats.bytes <= 2 * mebibyte, `bytes ${stats.bytes} within the limit`);
    const changes = engine.changes.readFrom(0);
    assert.ok(Array.isArray(changes));
    const evicted = new Set(changes.filter((change) => change.kind === 'evicted').map((change) => Buffer.from(change.key).toString()));
    assert.ok(evicted.size > 1000, `${evicted.size} evictions logged`);
    // Every key written is either still readable with its value or was logged as evicted.
    for (let i = 0; i < 2000; i++) {
      const key = `cold-${i}`;
      const result = await engine.get('cache', key);
      if (result.status === Status.Ok) assert.equal(result.value?.length, 4000);
      else assert.ok(evicted.has(key), `${key} vanished without an evicted change`);
    }
    const hotAlive = (await engine.batch(hot.map((key) => ({ op: 'get' as const, ns: 'cache', key })))).filter((result) => result.status === Status.Ok).length;
    assert.ok(hotAlive >= 15, `recently read keys mostly survive: ${hotAlive}/20`);
  } finally {
    await engine.close();
  }
});
