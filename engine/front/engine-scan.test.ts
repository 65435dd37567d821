// Scans page through every shard in (hash, key) order: a key present for the whole scan is
// returned exactly once, even while other writes grow and rehash the tables between pages.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from './engine';

test('every key present for the whole scan is returned exactly once while tables grow', async () => {
  const engine = await Engine.open({ shards: 2, sweepIntervalMs: 0 });
  try {
    const stable = Array.from({ length: 3000 }, (_, i) => `stable/${i}`);
    await engine.batch(stable.map((key) => ({ op: 'put' as const, ns: 'content', key, value: key })));
    const seen = new Map<string, number>();
    let cursor: string | undefined;
    let added = 0;
    let deleted = 0;
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await engine.scan('content', { limit: 50, cursor, prefix: 'stable/' });
      for (const record of page.records) {
        const key = Buffer.from(record.key).toString();
        seen.set(key, (seen.get(key) ?? 0) + 1);
        assert.equal(Buffer.from(record.value!).toString(), key);
      }
      // Between pages: add many keys (forcing index growth) and delete some others.
      const inserts = Array.from({ length: 400 }, () => ({ op: 'put' as const, ns: 'content', key: `churn/${added++}`, value: 'x' }));
      await engine.batch(inserts);
      if (added > 2000) await engine.delete('content', `churn/${deleted++}`);
      cursor = page.cursor ?? undefined;
      if (cursor === undefined) break;
    }
    assert.equal(cursor, undefined);
    assert.equal(seen.size, stable.length);
    for (const key of stable) assert.equal(seen.get(key), 1, `${key} returned ${seen.get(key) ?? 0} times`);
    assert.ok(engine.shardCounters().every((shard) => shard.indexCapacity >= 8192), 'the indexes grew during the scan');
  } finally {
    await engine.close();
  }
});

test('values can be left out of scan pages', async () => {
  const engine = await Engine.open({ shards: 1, sweepIntervalMs: 0 });
  try {
    await engine.put('content', 'a/1', 'one', { contentType: 'text/plain' });
    const page = await engine.scan('content', { prefix: 'a/', values: false });
    assert.equal(page.records.length, 1);
    assert.equal(page.records[0]!.value, null);
    assert.equal(page.records[0]!.contentType, 'text/plain');
    assert.equal(page.cursor, null);
  } finally {
    await engine.close();
  }
});
