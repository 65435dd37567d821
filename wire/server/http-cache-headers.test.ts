// Issue 13: Cache-Control from a namespace's "cache" policy, a record's TTL, and a record's own
// Cache-Control stored with its PUT, end to end.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from '../client';
import { rawHttp } from './raw-http.fixture';
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

test("a record's own Cache-Control, stored with its PUT, is served as given (over the policy and the TTL)", async () => {
  for (const ns of ['content', 'pages']) {
    const written = await fetch(`${server.httpUrl}/v1/${ns}/own?ttl=100`, { method: 'PUT', body: 'x', headers: { 'Cache-Control': 'public, max-age=5, must-revalidate', 'Content-Type': 'text/plain' } });
    assert.equal(written.status, 201);
    const got = await fetch(`${server.httpUrl}/v1/${ns}/own`);
    assert.equal(got.headers.get('cache-control'), 'public, max-age=5, must-revalidate', ns);
    assert.equal(got.headers.get('content-type'), 'text/plain', 'the content type comes back alone');
  }
  // The next version without one falls back to the namespace policy.
  await fetch(`${server.httpUrl}/v1/pages/own`, { method: 'PUT', body: 'y' });
  assert.equal((await fetch(`${server.httpUrl}/v1/pages/own`)).headers.get('cache-control'), 'max-age=60, s-maxage=600, stale-while-revalidate=30, stale-if-error=86400');
});

test('a Cache-Control that cannot be stored is 400, and nothing is written', async () => {
  const refused = await fetch(`${server.httpUrl}/v1/content/refused`, { method: 'PUT', body: 'x', headers: { 'Cache-Control': 'x'.repeat(200) } });
  assert.equal(refused.status, 400);
  assert.equal(((await refused.json()) as { error: string }).error, 'InvalidArgument');
  // A control character (DEL) no HTTP client library would send: over a raw socket.
  const raw = await rawHttp(server.port, 'PUT /v1/content/refused HTTP/1.1\r\nHost: 127.0.0.1\r\nCache-Control: max-age=1\x7f\r\nContent-Length: 1\r\n\r\nx', { expectResponses: 1 });
  assert.equal(raw.responses[0]?.status, 400, raw.raw.toString('latin1'));
  const tooLong = await fetch(`${server.httpUrl}/v1/content/refused`, { method: 'PUT', body: 'x', headers: { 'Content-Type': `text/${'a'.repeat(200)}`, 'Cache-Control': 'a'.repeat(100) } });
  assert.equal(tooLong.status, 400, 'content type and Cache-Control share 255 bytes');
  assert.equal((await fetch(`${server.httpUrl}/v1/content/refused`)).status, 404);
});

test('WebSocket readers and subscribers see the media type alone', async () => {
  const client = await connect(server.wsUrl, { reconnect: false });
  try {
    const subscription = client.subscribe({ ns: 'content', key: 'ws-view' });
    await subscription.ready;
    await fetch(`${server.httpUrl}/v1/content/ws-view`, { method: 'PUT', body: 'x', headers: { 'Cache-Control': 'no-store', 'Content-Type': 'text/html' } });
    const record = await client.get('content', 'ws-view');
    assert.equal(record?.contentType, 'text/html');
    const event = await subscription.next();
    assert.ok(event.done !== true && 'contentType' in event.value);
    assert.equal((event.value as { contentType: string }).contentType, 'text/html');
    const page = await client.scan('content', { prefix: 'ws-view' });
    assert.equal(page.records[0]?.contentType, 'text/html');
  } finally {
    await client.close();
  }
});
