// Issue 13: ETags that name one version for the life of the data, and RFC 9110's conditional
// requests (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since and their precedence),
// end to end through a real server process.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;
const url = (path: string): string => `${server.httpUrl}${path}`;

before(async () => {
  server = await spawnServer({ config: testConfig() });
});

after(async () => {
  await server?.stop();
});

async function put(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url(path), { method: 'PUT', body, headers });
}

function etagOf(response: Response): string {
  const etag = response.headers.get('etag');
  assert.ok(etag !== null && /^"\d+-\d+"$/.test(etag), `a strong ETag, got ${etag}`);
  return etag;
}

const pastDate = (): string => new Date(Date.now() - 3_600_000).toUTCString();
const futureDate = (): string => new Date(Date.now() + 3_600_000).toUTCString();

describe('ETag', () => {
  test('put → delete → put: generation 1 both times, two different ETags; the stale one gets 200', async () => {
    const first = etagOf(await put('/v1/content/v/recreated', 'old content'));
    assert.equal((await fetch(url('/v1/content/v/recreated'), { method: 'DELETE' })).status, 204);
    const recreated = await put('/v1/content/v/recreated', 'new content');
    assert.equal(recreated.status, 201);
    assert.equal(recreated.headers.get('tessera-generation'), '1');
    const second = etagOf(recreated);
    assert.notEqual(second, first);
    const stale = await fetch(url('/v1/content/v/recreated'), { headers: { 'If-None-Match': first } });
    assert.equal(stale.status, 200, 'a cache holding the old version must get the new one');
    assert.equal(await stale.text(), 'new content');
    assert.equal((await fetch(url('/v1/content/v/recreated'), { headers: { 'If-None-Match': second } })).status, 304);
    // A write conditioned on the old version must not overwrite the new one (lost update).
    assert.equal((await put('/v1/content/v/recreated', 'lost?', { 'If-Match': first })).status, 412);
    assert.equal((await fetch(url('/v1/content/v/recreated'), { method: 'DELETE', headers: { 'If-Match': first } })).status, 412);
    assert.equal(await (await fetch(url('/v1/content/v/recreated'))).text(), 'new content');
  });

  test('every write of a key gives a new ETag, also many within one millisecond', async () => {
    const seen = new Set<string>();
    const responses = await Promise.all(Array.from({ length: 40 }, (_, index) => put(`/v1/content/v/burst/${index % 4}`, `value ${index}`)));
    for (const response of responses) seen.add(etagOf(response));
    assert.equal(seen.size, 40);
  });
});

describe('If-Match and If-None-Match on writes', () => {
  test('If-Match with a list: any current tag passes; `*` needs the record; a weak tag never passes', async () => {
    const etag = etagOf(await put('/v1/content/w/list', 'one'));
    const passed = await put('/v1/content/w/list', 'two', { 'If-Match': `"nope", ${etag}` });
    assert.equal(passed.status, 200);
    const current = etagOf(passed);
    assert.equal((await put('/v1/content/w/list', 'x', { 'If-Match': `W/${current}` })).status, 412);
    assert.equal((await put('/v1/content/w/list', 'three', { 'If-Match': '*' })).status, 200);
    assert.equal((await put('/v1/content/w/none', 'x', { 'If-Match': '*' })).status, 412);
  });

  test('If-None-Match with tags on a write: 412 when one matches, the write otherwise', async () => {
    const etag = etagOf(await put('/v1/content/w/inm', 'one'));
    const refused = await put('/v1/content/w/inm', 'two', { 'If-None-Match': etag });
    assert.equal(refused.status, 412);
    assert.equal(await (await fetch(url('/v1/content/w/inm'))).text(), 'one');
    assert.equal((await put('/v1/content/w/inm', 'two', { 'If-None-Match': '"other"' })).status, 200);
    assert.equal((await put('/v1/content/w/inm-new', 'made', { 'If-None-Match': '"other"' })).status, 201, 'a missing record matches no tag');
  });

  test('If-Unmodified-Since: 412 when the record changed after the date, the write when not', async () => {
    await put('/v1/content/w/ius', 'one');
    const refused = await put('/v1/content/w/ius', 'two', { 'If-Unmodified-Since': pastDate() });
    assert.equal(refused.status, 412);
    assert.equal((await refused.json() as { error: string }).error, 'GenerationMismatch');
    assert.equal(await (await fetch(url('/v1/content/w/ius'))).text(), 'one');
    assert.equal((await put('/v1/content/w/ius', 'two', { 'If-Unmodified-Since': futureDate() })).status, 200);
    assert.equal((await fetch(url('/v1/content/w/ius'), { method: 'DELETE', headers: { 'If-Unmodified-Since': pastDate() } })).status, 412);
    assert.equal((await fetch(url('/v1/content/w/ius'), { method: 'DELETE', headers: { 'If-Unmodified-Since': futureDate() } })).status, 204);
    assert.equal((await put('/v1/content/w/ius', 'again', { 'If-Unmodified-Since': 'not a date' })).status, 201, 'an invalid date is ignored');
  });

  test('precedence: If-Match wins over If-Unmodified-Since', async () => {
    const etag = etagOf(await put('/v1/content/w/prec', 'one'));
    // If-Match holds: If-Unmodified-Since (false here) is not evaluated (RFC 9110 §13.2.2 step 2).
    assert.equal((await put('/v1/content/w/prec', 'two', { 'If-Match': etag, 'If-Unmodified-Since': pastDate() })).status, 200);
    assert.equal((await put('/v1/content/w/prec', 'x', { 'If-Match': etag, 'If-Unmodified-Since': futureDate() })).status, 412);
  });
});

describe('conditional GET and HEAD', () => {
  test('If-Modified-Since: 304 when not modified since, 200 when modified; Last-Modified is sent', async () => {
    const response = await put('/v1/content/r/ims', 'v');
    const lastModified = response.headers.get('last-modified');
    assert.ok(lastModified !== null && !Number.isNaN(Date.parse(lastModified)));
    assert.equal((await fetch(url('/v1/content/r/ims'), { headers: { 'If-Modified-Since': lastModified } })).status, 304);
    assert.equal((await fetch(url('/v1/content/r/ims'), { headers: { 'If-Modified-Since': pastDate() } })).status, 200);
    assert.equal((await fetch(url('/v1/content/r/ims'), { method: 'HEAD', headers: { 'If-Modified-Since': futureDate() } })).status, 304);
  });

  test('precedence: If-None-Match wins over If-Modified-Since', async () => {
    const etag = etagOf(await put('/v1/content/r/prec', 'v'));
    // A non-matching If-None-Match means changed, whatever the date says (§13.2.2 step 4 skipped).
    const changed = await fetch(url('/v1/content/r/prec'), { headers: { 'If-None-Match': '"old"', 'If-Modified-Since': futureDate() } });
    assert.equal(changed.status, 200);
    const unchanged = await fetch(url('/v1/content/r/prec'), { headers: { 'If-None-Match': etag, 'If-Modified-Since': pastDate() } });
    assert.equal(unchanged.status, 304);
  });

  test('If-Match and If-Unmodified-Since on a GET: 412 when they fail, 200 when they hold; a missing record is 404', async () => {
    const etag = etagOf(await put('/v1/content/r/im', 'v'));
    assert.equal((await fetch(url('/v1/content/r/im'), { headers: { 'If-Match': '"other"' } })).status, 412);
    assert.equal((await fetch(url('/v1/content/r/im'), { headers: { 'If-Match': etag } })).status, 200);
    assert.equal((await fetch(url('/v1/content/r/im'), { headers: { 'If-Unmodified-Since': pastDate() } })).status, 412);
    assert.equal((await fetch(url('/v1/content/r/im'), { headers: { 'If-Unmodified-Since': futureDate() } })).status, 200);
    assert.equal((await fetch(url('/v1/content/r/none'), { headers: { 'If-Match': etag } })).status, 404);
  });

  test('a 304 carries the ETag, Tessera-Generation and Last-Modified of the version', async () => {
    const written = await put('/v1/content/r/304', 'v');
    const etag = etagOf(written);
    const response = await fetch(url('/v1/content/r/304'), { headers: { 'If-None-Match': etag } });
    assert.equal(response.status, 304);
    assert.equal(response.headers.get('etag'), etag);
    assert.equal(response.headers.get('tessera-generation'), '1');
    assert.equal(response.headers.get('last-modified'), written.headers.get('last-modified'));
  });
});
