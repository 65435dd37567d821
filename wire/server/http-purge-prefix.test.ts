// End to end through a real server process: DELETE /v1/{ns}?prefix=P purges a prefix, each
// deletion an ordinary change that subscribers see.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type Client } from '../client';
import type { ChangeEvent } from '../client/subscription-types';
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

async function seed(prefix: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, index) => `${prefix}${index}`);
  await client.batch(keys.map((key) => ({ op: 'put' as const, ns: 'content', key, value: 'v' })));
  return keys;
}

describe('DELETE /v1/{ns}?prefix=P', () => {
  test('deletes every record under the prefix, more than one page of them, and nothing else; a subscriber sees every delete', async () => {
    const count = purgePageRecords * 2 + 37;
    const keys = await seed('purge/a/', count);
    await seed('purge/b/', 5);
    await seed('purge/a', 1); // "purge/a0": shares the text prefix "purge/a" but not "purge/a/"
    const subscription = client.subscribe({ ns: 'content', prefix: 'purge/', values: false });
    await subscription.ready;
    const { status, body } = await fetchJson<{ deleted: number }>(url('/v1/content?prefix=purge/a/'), { method: 'DELETE' });
    assert.equal(status, 200);
    assert.deepEqual(body, { deleted: count });
    const events = (await takeEvents(subscription, count)) as ChangeEvent[];
    assert.ok(events.every((event) => event.kind === 'delete'));
    assert.deepEqual(events.map((event) => decoder.decode(event.key)).sort(), [...keys].sort());
    await subscription.close();
    assert.deepEqual((await listAll(server.httpUrl, 'content', 'prefix=purge/a/')).keys, []);
    assert.equal((await listAll(server.httpUrl, 'content', 'prefix=purge/b/')).keys.length, 5);
    assert.notEqual(await client.get('content', 'purge/a0'), null);
    const again = await fetchJson<{ deleted: number }>(url('/v1/content?prefix=purge/a/'), { method: 'DELETE' });
    assert.deepEqual(again.body, { deleted: 0 });
  });

  test('an empty prefix is refused without all=true; with it the whole namespace goes', async () => {
    await seed('whole/', 20);
    for (const query of ['', '?prefix=', '?all=false', '?prefix=&all=no']) {
      const { status, body } = await fetchJson<{ error: string }>(url(`/v1/other${query}`), { method: 'DELETE' });
      assert.equal(status, 400, query);
      assert.equal(body.error, 'InvalidArgument');
    }
    await client.batch(Array.from({ length: 10 }, (_, index) => ({ op: 'put' as const, ns: 'other', key: `k${index}`, value: 'v' })));
    assert.equal((await listAll(server.httpUrl, 'other', '')).keys.length, 10, 'the refusals deleted nothing');
    const { status, body } = await fetchJson<{ deleted: number }>(url('/v1/other?all=true'), { method: 'DELETE' });
    assert.equal(status, 200);
    assert.deepEqual(body, { deleted: 10 });
    assert.equal((await listAll(server.httpUrl, 'content', 'prefix=whole/')).keys.length, 20, 'another namespace is untouched');
    const tooLong = await fetchJson<{ error: string }>(url(`/v1/content?prefix=${'x'.repeat(300)}`), { method: 'DELETE' });
    assert.equal(tooLong.body.error, 'KeyTooLarge');
  });

  test('under concurrent writes: records written before the purge are gone; reads are answered meanwhile', async () => {
    const count = purgePageRecords * 4;
    await seed('race/old/', count);
    await client.put('content', 'race-read', 'v');
    let writing = true;
    let reads = 0;
    let written = 0;
    const others = (async () => {
      for (let index = 0; writing && index < 20_000; index++) {
        const got = await fetch(url('/v1/content/race-read'));
        assert.equal(got.status, 200);
        reads++;
        await client.put('content', `race/new/${index}`, 'v');
        written++;
      }
    })();
    const { status, body } = await fetchJson<{ deleted: number }>(url('/v1/content?prefix=race/'), { method: 'DELETE' });
    writing = false;
    await others;
    assert.equal(status, 200);
    assert.ok(reads > 0 && written > 0, `reads (${reads}) and writes (${written}) went on during the purge`);
    const left = (await listAll(server.httpUrl, 'content', 'prefix=race/')).keys;
    assert.deepEqual(left.filter((key) => key.startsWith('race/old/')), [], 'every record written before the purge began is gone');
    // The rule for records written after the purge began: each either was deleted (and counted) or is still there.
    assert.equal(body.deleted + left.length, count + written);
  });
});
