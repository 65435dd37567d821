// Issue 13: a restart never hands out an ETag that named other content before it. The node writes
// a record, deletes it, and restarts on its data dir with its clock set back to the very
// millisecond of that first write (TESSERA_TEST_CLOCK_MS): recreating the key gives generation 1
// again, and without the recovered stamps the same ETag. A cache that still holds the old version
// must get the new one.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testClockVariable } from './engine-delay.fixture';
import { dataDirMaker, persistentConfig, putText, waitRecovered } from './durability.fixture';
import { spawnServer } from './server-process.fixture';

const newDataDir = dataDirMaker();

test('delete, restart with the clock at the old write, recreate: a new ETag, and the old one gets 200', async () => {
  const config = persistentConfig(newDataDir());
  let server = await spawnServer({ config });
  let oldTag: string;
  try {
    await waitRecovered(server.httpUrl);
    const written = await putText(server.httpUrl, 'page', 'old content');
    assert.equal(written.status, 201);
    oldTag = written.headers.get('etag') ?? '';
    assert.equal((await fetch(`${server.httpUrl}/v1/content/page`, { method: 'DELETE' })).status, 204);
    const kept = await fetch(`${server.httpUrl}/v1/content/kept`, { method: 'PUT', body: 'x', headers: { 'Cache-Control': 'max-age=7', 'Content-Type': 'text/plain' } });
    assert.equal(kept.status, 201);
  } finally {
    assert.equal(await server.stop(), 0);
  }
  const oldStampUs = Number(/^"(\d+)-1"$/.exec(oldTag)?.[1] ?? '');
  assert.ok(Number.isSafeInteger(oldStampUs), oldTag);
  server = await spawnServer({ config, testHooks: true, env: { [testClockVariable]: String(Math.floor(oldStampUs / 1000)) } });
  try {
    await waitRecovered(server.httpUrl);
    const recreated = await putText(server.httpUrl, 'page', 'new content');
    assert.equal(recreated.status, 201);
    assert.equal(recreated.headers.get('tessera-generation'), '1');
    const newTag = recreated.headers.get('etag') ?? '';
    assert.notEqual(newTag, oldTag);
    assert.ok(Number(/^"(\d+)-1"$/.exec(newTag)?.[1] ?? '') > oldStampUs, 'stamps continue past the recovered ones');
    const revalidated = await fetch(`${server.httpUrl}/v1/content/page`, { headers: { 'If-None-Match': oldTag } });
    assert.equal(revalidated.status, 200);
    assert.equal(await revalidated.text(), 'new content');
    // A record's own Cache-Control lives in its content-type bytes: the WAL brought it back.
    const kept = await fetch(`${server.httpUrl}/v1/content/kept`);
    assert.equal(kept.headers.get('cache-control'), 'max-age=7');
    assert.equal(kept.headers.get('content-type'), 'text/plain');
  } finally {
    assert.equal(await server.stop(), 0);
  }
});
