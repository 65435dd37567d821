// The eviction and expiry counters /metrics reads (stats().namespaces[].evictions / .expirations):
// kept by the shards in their table headers, bumped only when a record is evicted or expired, so
// they match the `evicted` and `expired` changes in the log one for one.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from './engine';
import { Status } from '../layout/status';

const mebibyte = 1024 * 1024;

function changeCount(engine: Engine, kind: string, ns: string): number {
  const changes = engine.changes.readFrom(0);
  assert.ok(Array.isArray(changes), 'the log still holds every change');
  return changes.filter((change) => change.kind === kind && change.ns === ns).length;
}

test('evictions are counted per namespace, one per evicted change', async () => {
  const engine = await Engine.open({ shards: 2, sweepIntervalMs: 0, changeLogCapacity: 4096, namespaces: [{ name: 'cache', mode: 'cache', memoryLimitBytes: 2 * mebibyte }, { name: 'store' }] });
  try {
    const value = new Uint8Array(4000).fill(3);
    for (let i = 0; i < 1000; i++) assert.equal((await engine.put('cache', `k-${i}`, value)).status, Status.Ok);
    const [cache, store] = engine.stats().namespaces;
    assert.ok((cache?.evictions ?? 0) > 300, `evictions ${cache?.evictions}`);
    assert.equal(cache?.evictions, changeCount(engine, 'evicted', 'cache'));
    assert.equal(cache?.expirations, 0);
    assert.deepEqual([store?.evictions, store?.expirations], [0, 0]);
  } finally {
    await engine.close();
  }
});

test('expirations are counted whether a read or the sweep removes the record', async () => {
  const engine = await Engine.open({ shards: 2, sweepIntervalMs: 0, namespaces: [{ name: 'content' }] });
  try {
    const nowMs = Date.now();
    engine.testing.setClockMs(nowMs);
    for (let i = 0; i < 20; i++) await engine.put('content', `ttl-${i}`, 'v', { ttl: 10 });
    await engine.put('content', 'forever', 'v');
    engine.testing.setClockMs(nowMs + 20_000);
    for (let i = 0; i < 5; i++) assert.equal((await engine.get('content', `ttl-${i}`)).status, Status.NotFound);
    assert.equal(engine.stats().namespaces[0]?.expirations, 5, 'five removed by reads');
    assert.equal(await engine.sweepAll(), 15);
    const [content] = engine.stats().namespaces;
    assert.deepEqual([content?.expirations, content?.evictions, content?.records], [20, 0, 1]);
    assert.equal(content?.expirations, changeCount(engine, 'expired', 'content'));
  } finally {
    await engine.close();
  }
});
