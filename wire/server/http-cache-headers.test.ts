// Issue 13: Cache-Control from a namespace's "cache" policy and from a record's TTL, end to end.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;

before(async () => {
  server = await spawnServer({
    config: testConfig({
      namespaces: [
        { name: 'content', mode: 'store' },
        { name: 'pages', mode: 'store', cache: { maxAge: 60, sMaxAge: 600, staleWhileRevalidate: 30, staleIfError: 86400 } },
        { name: 'assets', mode: 'store', cache: { maxAge: 31536000, immutable: true } },
        { name: 'drafts', mode: 'store', cache: { maxAge: 'no-cache' } },
      ],
    }),
  });
});

after(async () => {
  await server?.stop();
});

async function cacheControlOf(ns: string, key: string, ttl?: number): Promise<string | null> {
  const query = ttl === undefined ? '' : `?ttl=${ttl}`;
  assert.equal((await fetch(`${server.httpUrl}/v1/${ns}/${key}${query}`, { method: 'PUT', body: 'x' })).status, 201);
  return (await fetch(`${server.httpUrl}/v1/${ns}/${key}`)).headers.get('cache-control');
}

test('each namespace its policy; none without one', async () => {
  assert.equal(await cacheControlOf('content', 'a'), null);
  assert.equal(await cacheControlOf('pages', 'a'), 'max-age=60, s-maxage=600, stale-while-revalidate=30, stale-if-error=86400');
  assert.equal(await cacheControlOf('assets', 'app.3f2a.js'), 'max-age=31536000, immutable');
  assert.equal(await cacheControlOf('drafts', 'a'), 'no-cache');
});

test('a record with a TTL: max-age is the seconds left (s-maxage no longer), the rest of the policy kept', async () => {
  const value = await cacheControlOf('pages', 'ttl', 120);
  const match = /^max-age=(\d+), s-maxage=(\d+), stale-while-revalidate=30, stale-if-error=86400$/.exec(value ?? '');
  assert.ok(match !== null, value ?? 'none');
  assert.ok(Number(match[1]) >= 118 && Number(match[1]) <= 120);
  assert.equal(match[2], match[1]);
  const drafts = await cacheControlOf('drafts', 'ttl', 30);
  assert.match(drafts ?? '', /^max-age=(29|30)$/);
});
