// End to end through a real server process: surrogate keys on PUT (Surrogate-Key) and purge by
// tag (POST /v1/{ns}/_purge), each deletion an ordinary change that subscribers see.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Status } from '../../engine/layout/status';
import { connect, type Client } from '../client';
import type { ChangeEvent } from '../client/subscription-types';
import { tagBytesMax, tagsPerRecordMax } from '../../engine/layout/surrogate-keys';
import { fetchJson, listAll, takeEvents } from './namespace-routes.fixture';
import { purgePageRecords } from './purge-runner';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;
let client: Client;
const url = (path: string): string => `${server.httpUrl}${path}`;
const decoder = new TextDecoder();

before(async () => {
  const config = testConfig() as { engine: { shards: number } };
  config.engine.shards = 2;
  server = await spawnServer({ config });
  client = await connect(server.wsUrl, { reconnect: false });
});

after(async () => {
  await client?.close();
  await server?.stop();
});

const put = (key: string, tags: string | null, body = 'v'): Promise<Response> =>
  fetch(url(`/v1/content/${key}`), { method: 'PUT', body, headers: tags === null ? {} : { 'Surrogate-Key': tags } });
const purge = (body: unknown, ns = 'content'): Promise<{ status: number; body: { deleted?: number; error?: string; message?: string } }> =>
  fetchJson(url(`/v1/${ns}/_purge`), { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

describe('Surrogate-Key and POST /v1/{ns}/_purge', () => {
  test('deletes every record carrying any of the tags, each once; a subscriber sees every delete; others stay', async () => {
    assert.equal((await put('tag/a', 'article-1 home')).status, 201);
    assert.equal((await put('tag/b', '  article-1\tsection-news ')).status, 201);
    assert.equal((await put('tag/c', 'home')).status, 201);
    assert.equal((await put('tag/d', 'article-2')).status, 201);
    assert.equal((await put('tag/e', null)).status, 201);
    // An overwrite's tags replace the old ones: tag/f no longer carries home.
    await put('tag/f', 'home');
    await put('tag/f', 'article-3');
    const subscription = client.subscribe({ ns: 'content', prefix: 'tag/', values: false });
    await subscription.ready;
    const answer = await purge({ tags: ['article-1', 'home', 'never-used'] });
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { deleted: 3 });
    const events = (await takeEvents(subscription, 3)) as ChangeEvent[];
    assert.deepEqual(events.map((event) => `${event.kind} ${decoder.decode(event.key)}`).sort(), ['delete tag/a', 'delete tag/b', 'delete tag/c']);
    await subscription.close();
    assert.deepEqual((await listAll(server.httpUrl, 'content', 'prefix=tag/')).keys.sort(), ['tag/d', 'tag/e', 'tag/f']);
    assert.deepEqual((await purge({ tags: ['home'] })).body, { deleted: 0 });
    // A record deleted by hand loses its tags: re-created without them, a purge leaves it alone.
    await fetch(url('/v1/content/tag/d'), { method: 'DELETE' });
    await put('tag/d', null);
    assert.deepEqual((await purge({ tags: ['article-2'] })).body, { deleted: 0 });
  });

  test('the client: put with tags and purge({ ns, tags })', async () => {
    await client.put('content', 'client/a', 'v', { tags: ['c1', 'c2'] });
    await client.put('content', 'client/b', 'v', { tags: ['c2'] });
    await client.put('content', 'client/c', 'v');
    assert.deepEqual(await client.purge({ ns: 'content', tags: ['c2'] }), { deleted: 2 });
    assert.equal(await client.get('content', 'client/a'), null);
    assert.notEqual(await client.get('content', 'client/c'), null);
    await assert.rejects(client.put('content', 'client/d', 'v', { tags: ['bad tag'] }), { code: Status.InvalidArgument });
    await assert.rejects(client.purge({ ns: 'content', tags: [] }), { code: Status.InvalidArgument });
    await assert.rejects(client.purge({ ns: 'content', prefix: '' }), { code: Status.InvalidArgument });
    assert.equal(await client.get('content', 'client/d'), null);
  });

  test('a bad Surrogate-Key is a typed 400 and nothing is written', async () => {
    const tooMany = Array.from({ length: tagsPerRecordMax + 1 }, (_, index) => `t${index}`).join(' ');
    for (const header of ['a,b', 'quote"d', 'x'.repeat(tagBytesMax + 1), tooMany, 'ok bad;tag']) {
      const response = await put('badtag/x', header);
      assert.equal(response.status, 400, header);
      assert.equal(((await response.json()) as { error: string }).error, 'InvalidArgument');
      assert.equal((await fetch(url('/v1/content/badtag/x'))).status, 404, 'nothing written');
    }
    // At the limits: tagsPerRecordMax tags of tagBytesMax characters are fine.
    const longest = Array.from({ length: tagsPerRecordMax }, (_, index) => `${index}`.padEnd(tagBytesMax, 'x')).join(' ');
    assert.equal((await put('badtag/y', longest)).status, 201);
    assert.deepEqual((await purge({ tags: ['15'.padEnd(tagBytesMax, 'x')] })).body, { deleted: 1 });
  });

  test('a bad purge body is a typed 400; an unknown namespace 404', async () => {
    for (const body of ['not json', '[]', '{}', '{"tags": []}', '{"tags": "a"}', '{"tags": ["a b"]}', '{"tags": [1]}', '{"tags": ["a"], "prefix": "x"}', JSON.stringify({ tags: Array.from({ length: 257 }, (_, index) => `t${index}`) })]) {
      const answer = await purge(body);
      assert.equal(answer.status, 400, body);
      assert.equal(answer.body.error, 'InvalidArgument', body);
    }
    const unknown = await purge({ tags: ['a'] }, 'nope');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'UnknownNamespace');
    // PUT to a key named _purge is still an ordinary record.
    assert.equal((await fetch(url('/v1/content/_purge'), { method: 'PUT', body: 'v' })).status, 201);
  });

  test('under concurrent writes: every record tagged before the purge began is deleted', async () => {
    const count = purgePageRecords * 3 + 11;
    const keys = Array.from({ length: count }, (_, index) => `race/old/${index}`);
    await client.batch(keys.map((key) => ({ op: 'put' as const, ns: 'content', key, value: 'v', tags: ['race'] })));
    await client.put('content', 'race-read', 'v');
    let writing = true;
    let written = 0;
    let reads = 0;
    const others = (async () => {
      for (let index = 0; writing && index < 20_000; index++) {
        assert.notEqual(await client.get('content', 'race-read'), null);
        reads++;
        await client.put('content', `race/new/${index}`, 'v', { tags: ['race'] });
        written++;
      }
    })();
    const answer = await purge({ tags: ['race'] });
    writing = false;
    await others;
    assert.equal(answer.status, 200);
    assert.ok(reads > 0 && written > 0, `reads (${reads}) and writes (${written}) went on during the purge`);
    const left = (await listAll(server.httpUrl, 'content', 'prefix=race/')).keys;
    assert.deepEqual(left.filter((key) => key.startsWith('race/old/')), []);
    // Records tagged after the purge began: each was either purged (and counted) or is still there.
    assert.equal((answer.body.deleted ?? 0) + left.length, count + written);
    // Those left still carry the tag: a second purge takes them all.
    assert.deepEqual((await purge({ tags: ['race'] })).body, { deleted: left.length });
  });
});
