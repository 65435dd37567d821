// Surrogate keys in the engine: the shard's tag index follows every change to a record (put,
// overwrite, delete, expiry, eviction), lists keys oldest tagging first, and its memory is counted
// in the namespace's bytes; the model engine answers the same.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Status } from '../layout/status';
import { tagsPerRecordMax } from '../layout/surrogate-keys';
import { Engine } from './engine';
import type { EngineApi } from './engine-api';
import { ModelEngine } from './model-engine';

const text = (key: Uint8Array): string => Buffer.from(key).toString();

async function keysWith(engine: EngineApi, ns: string, tag: string, limit = 1000): Promise<{ total: number; keys: string[] }> {
  const pages = await engine.taggedKeys(ns, tag, limit);
  return { total: pages.reduce((sum, page) => sum + page.total, 0), keys: pages.flatMap((page) => page.keys.map(text)).sort() };
}

const namespaces = [{ name: 'content', mode: 'store' as const }, { name: 'other', mode: 'store' as const }];

for (const [name, open] of [
  ['engine', () => Engine.open({ shards: 2, sweepIntervalMs: 0, namespaces })],
  ['model', async () => new ModelEngine({ namespaces })],
] as const) {
  test(`${name}: tags follow put, overwrite and delete`, async () => {
    const engine: EngineApi & { close(): Promise<void> } = await open();
    try {
      await engine.put('content', 'a', 'v', { tags: ['news', 'home'] });
      await engine.put('content', 'b', 'v', { tags: ['news'] });
      await engine.put('content', 'c', 'v');
      await engine.put('other', 'a', 'v', { tags: ['news'] });
      assert.deepEqual(await keysWith(engine, 'content', 'news'), { total: 2, keys: ['a', 'b'] });
      assert.deepEqual(await keysWith(engine, 'content', 'home'), { total: 1, keys: ['a'] });
      assert.deepEqual(await keysWith(engine, 'other', 'news'), { total: 1, keys: ['a'] });
      // An overwrite's tags replace the record's; one without tags leaves it with none.
      await engine.put('content', 'a', 'v2', { tags: ['sport'] });
      await engine.put('content', 'b', 'v2');
      assert.deepEqual(await keysWith(engine, 'content', 'news'), { total: 0, keys: [] });
      assert.deepEqual(await keysWith(engine, 'content', 'sport'), { total: 1, keys: ['a'] });
      // A failed put (generation mismatch) changes no tags.
      const refused = await engine.put('content', 'a', 'v3', { tags: ['other'], ifGeneration: 9 });
      assert.equal(refused.status, Status.GenerationMismatch);
      assert.deepEqual(await keysWith(engine, 'content', 'other'), { total: 0, keys: [] });
      await engine.delete('content', 'a');
      assert.deepEqual(await keysWith(engine, 'content', 'sport'), { total: 0, keys: [] });
      // Invalid tags are refused before anything is written.
      for (const tags of [['has space'], [''], ['x'.repeat(65)], ['é'], ['a', 'a'], Array.from({ length: tagsPerRecordMax + 1 }, (_, index) => `t${index}`)]) {
        const result = await engine.put('content', 'bad', 'v', { tags });
        assert.equal(result.status, Status.InvalidArgument, JSON.stringify(tags));
      }
      assert.equal((await engine.get('content', 'bad')).status, Status.NotFound);
      await assert.rejects(engine.taggedKeys('content', 'bad tag', 10), { status: Status.InvalidArgument });
      await assert.rejects(engine.taggedKeys('nope', 'news', 10), { status: Status.UnknownNamespace });
    } finally {
      await engine.close();
    }
  });

  test(`${name}: keys come oldest tagging first, a page at a time`, async () => {
    const engine: EngineApi & { close(): Promise<void> } = await open();
    try {
      for (let index = 0; index < 20; index++) await engine.put('content', `k${index}`, 'v', { tags: ['t'] });
      // Re-tagging k0 moves it to the end.
      await engine.put('content', 'k0', 'v', { tags: ['t'] });
      const pages = await engine.taggedKeys('content', 't', 3);
      assert.equal(pages.reduce((sum, page) => sum + page.total, 0), 20);
      for (const page of pages) {
        assert.ok(page.keys.length <= 3);
        assert.ok(!page.keys.map(text).includes('k0') || page.total <= 3, 'the re-tagged key is last');
      }
    } finally {
      await engine.close();
    }
  });
}

test('engine: expiry and eviction drop tags; tag bytes count in the namespace', async () => {
  const engine = await Engine.open({
    shards: 1,
    sweepIntervalMs: 0,
    namespaces: [{ name: 'content', mode: 'store' }, { name: 'small', mode: 'cache', memoryLimitBytes: 1024 * 1024 }],
  });
  try {
    const bytesOf = (ns: string): number => engine.stats().namespaces.find((namespace) => namespace.name === ns)!.bytes;
    await engine.put('content', 'plain', 'v');
    const plainBytes = bytesOf('content');
    await engine.put('content', 'plain', 'v', { tags: ['a', 'b', 'c'] });
    const taggedBytes = bytesOf('content');
    assert.ok(taggedBytes > plainBytes, `tags count in the namespace's bytes (${plainBytes} → ${taggedBytes})`);
    await engine.put('content', 'plain', 'v');
    assert.equal(bytesOf('content'), plainBytes, 'dropping the tags gives their bytes back');
    await engine.put('content', 'short', 'v', { tags: ['gone'], ttl: 1 });
    engine.testing.setClockMs(Date.now() + 5000);
    assert.equal((await engine.get('content', 'short')).status, Status.NotFound);
    assert.deepEqual(await keysWith(engine, 'content', 'gone'), { total: 0, keys: [] });
    engine.testing.setClockMs(0);
    // A cache namespace evicts: the evicted records' tags go with them.
    for (let index = 0; index < 1500; index++) await engine.put('small', `e${index}`, 'x'.repeat(1000), { tags: ['bulk'] });
    const left = await keysWith(engine, 'small', 'bulk');
    const records = engine.stats().namespaces.find((namespace) => namespace.name === 'small')!.records;
    assert.ok(records < 1500, 'some were evicted');
    assert.equal(left.total, records, 'exactly the live records carry the tag');
  } finally {
    await engine.close();
  }
});
