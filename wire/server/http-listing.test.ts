// End to end through a real server process: GET /v1/{ns} lists a namespace page by page.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scanLimitMax } from '../../engine/layout/limits';
import { rawHttp } from './raw-http.fixture';
import { fetchJson, listAll, type Listing } from './namespace-routes.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;
const url = (path: string): string => `${server.httpUrl}${path}`;
const put = (path: string, body: string, headers: Record<string, string> = {}): Promise<Response> => fetch(url(path), { method: 'PUT', body, headers });

before(async () => {
  // Two shards: a page merges slices from both, as in production.
  const config = testConfig() as { engine: { shards: number } };
  config.engine.shards = 2;
  server = await spawnServer({ config });
});

after(async () => {
  await server?.stop();
});

describe('GET /v1/{ns}', () => {
  test('each record with key, generation, size, contentType, lastModified and expiry; no values', async () => {
    const before = Date.now();
    assert.equal((await put('/v1/content/meta/a', 'hello', { 'Content-Type': 'text/plain' })).status, 201);
    assert.equal((await put('/v1/content/meta/a', 'hello!', { 'Content-Type': 'text/plain' })).status, 200);
    assert.equal((await put('/v1/content/meta/b?ttl=600', '')).status, 201);
    await put('/v1/content/other/c', 'not listed');
    const { status, body } = await fetchJson<Listing>(url('/v1/content?prefix=meta/'));
    assert.equal(status, 200);
    assert.equal(body.cursor, null);
    const records = [...body.records].sort((x, y) => x.key.localeCompare(y.key));
    assert.equal(records.length, 2);
    const [a, b] = records;
    assert.deepEqual({ key: a?.key, generation: a?.generation, size: a?.size, contentType: a?.contentType, expiry: a?.expiry }, { key: 'meta/a', generation: 2, size: 6, contentType: 'text/plain', expiry: 0 });
    assert.ok(a !== undefined && a.lastModified >= before - 1000 && a.lastModified <= Date.now() + 1000);
    assert.equal(b?.size, 0);
    assert.ok(b !== undefined && b.expiry >= Math.floor(before / 1000) + 590);
    assert.ok(!('value' in (a ?? {})));
  });

  test('HEAD answers the headers of the GET; the key is percent-decoded like a path', async () => {
    await put('/v1/content/enc/%C3%A9t%C3%A9', 'x');
    const { body } = await fetchJson<Listing>(url('/v1/content?prefix=enc%2F%C3%A9'));
    assert.deepEqual(body.records.map((record) => record.key), ['enc/été']);
    const head = await fetch(url('/v1/content?prefix=enc/'), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/json');
  });

  test('pages of limit records; every key once; cursor null at the end', async () => {
    const keys = Array.from({ length: 57 }, (_, index) => `page/${index}`);
    for (const key of keys) await put(`/v1/content/${key}`, 'v');
    const first = await fetchJson<Listing>(url('/v1/content?prefix=page/&limit=10'));
    assert.equal(first.body.records.length, 10);
    assert.notEqual(first.body.cursor, null);
    const all = await listAll(server.httpUrl, 'content', 'prefix=page/&limit=10');
    assert.deepEqual([...all.keys].sort(), [...keys].sort());
    assert.equal(new Set(all.keys).size, all.keys.length, 'no key twice');
    assert.ok(all.pages >= 6);
  });

  test('under concurrent writes, every key present for the whole listing comes back exactly once', async () => {
    const stable = Array.from({ length: 300 }, (_, index) => `busy/stable/${index}`);
    for (const key of stable) await put(`/v1/content/${key}`, 'v');
    let writing = true;
    let written = 0;
    // Creates, overwrites and deletes of other keys under the same prefix while the listing pages.
    const writer = (async () => {
      for (let index = 0; writing && index < 5000; index++) {
        await put(`/v1/content/busy/churn/${index % 97}`, `v${index}`);
        if (index % 3 === 0) await fetch(url(`/v1/content/busy/churn/${(index * 7) % 97}`), { method: 'DELETE' });
        await put(`/v1/content/${stable[index % stable.length]}`, `rewrite ${index}`);
        written++;
      }
    })();
    const all = await listAll(server.httpUrl, 'content', 'prefix=busy/&limit=7');
    writing = false;
    await writer;
    assert.ok(written > 0, 'writes ran during the listing');
    const listedStable = all.keys.filter((key) => key.startsWith('busy/stable/'));
    assert.deepEqual([...listedStable].sort(), [...stable].sort());
    assert.equal(new Set(all.keys).size, all.keys.length, 'no key twice, churned keys included');
  });

  test('a bad limit or cursor is a typed 400; an unknown namespace 404; PUT without a key stays a 400', async () => {
    for (const limit of ['0', String(scanLimitMax + 1), 'ten', '-1', '1.5', '']) {
      const { status, body } = await fetchJson<{ error: string }>(url(`/v1/content?limit=${limit}`));
      assert.equal(status, 400, `limit=${limit}`);
      assert.equal(body.error, 'InvalidArgument');
    }
    for (const cursor of ['', 'not a cursor', 'AAAA', '!!']) {
      const { status, body } = await fetchJson<{ error: string }>(url(`/v1/content?cursor=${encodeURIComponent(cursor)}`));
      assert.equal(status, 400, `cursor=${cursor}`);
      assert.equal(body.error, 'InvalidCursor');
    }
    // A cursor of another namespace is not valid here.
    await put('/v1/other/x1', 'v');
    await put('/v1/other/x2', 'v');
    const other = await fetchJson<Listing>(url('/v1/other?limit=1'));
    assert.notEqual(other.body.cursor, null);
    const crossed = await fetchJson<{ error: string }>(url(`/v1/content?cursor=${other.body.cursor ?? ''}`));
    assert.equal(crossed.body.error, 'InvalidCursor');
    const twice = await fetchJson<{ error: string }>(url('/v1/content?limit=1&limit=2'));
    assert.equal(twice.status, 400);
    const unknown = await fetchJson<{ error: string }>(url('/v1/nope'));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'UnknownNamespace');
    const keyless = await fetchJson<{ error: string }>(url('/v1/content'), { method: 'PUT', body: 'v' });
    assert.equal(keyless.status, 400);
    assert.equal(keyless.body.error, 'InvalidKey');
  });

  test('the Host check applies as on every content route', async () => {
    const exchange = await rawHttp(server.port, 'GET /v1/content HTTP/1.1\r\nHost: evil.example\r\n\r\n');
    assert.equal(exchange.responses[0]?.status, 403);
  });
});
