// Issue 13: range requests and compression of the HTTP content API, over raw HTTP so that every
// header and byte the server sends is seen as sent (fetch would decompress and add headers).

import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { header, rawHttp, type RawResponse } from './raw-http.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: testConfig() });
});

after(async () => {
  await server?.stop();
});

async function put(key: string, body: string | Buffer, contentType: string): Promise<string> {
  const response = await fetch(`${server.httpUrl}/v1/content/${key}`, { method: 'PUT', body, headers: { 'Content-Type': contentType } });
  assert.ok(response.status === 201 || response.status === 200);
  return response.headers.get('etag') ?? '';
}

/** A HEAD through fetch (the raw parser would wait for the body its Content-Length announces). */
async function head(key: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.httpUrl}/v1/content/${key}`, { method: 'HEAD', headers });
}

async function send(method: string, key: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const exchange = await rawHttp(server.port, `${method} /v1/content/${key} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}\r\n`, { expectResponses: 1 });
  const response = exchange.responses[0];
  assert.ok(response !== undefined, exchange.raw.toString());
  return response;
}

const digits = Buffer.from('0123456789');
const page = `<html><body>${'<p>Tessera serves this paragraph again and again.</p>\n'.repeat(100)}</body></html>`;

describe('Range', () => {
  test('a single range: 206 with Content-Range and those bytes; Accept-Ranges on GET and HEAD', async () => {
    await put('range/digits', digits, 'application/octet-stream');
    for (const [range, body, contentRange] of [['bytes=2-4', '234', 'bytes 2-4/10'], ['bytes=7-', '789', 'bytes 7-9/10'], ['bytes=-2', '89', 'bytes 8-9/10'], ['bytes=5-99', '56789', 'bytes 5-9/10']] as const) {
      const response = await send('GET', 'range/digits', { Range: range });
      assert.equal(response.status, 206, range);
      assert.equal(response.body.toString(), body, range);
      assert.equal(header(response, 'content-range'), contentRange, range);
      assert.equal(header(response, 'content-length'), String(body.length), range);
    }
    assert.equal(header(await send('GET', 'range/digits'), 'accept-ranges'), 'bytes');
    const headed = await head('range/digits', { Range: 'bytes=0-1' });
    assert.equal(headed.status, 200, 'HEAD ignores Range');
    assert.equal(headed.headers.get('accept-ranges'), 'bytes');
  });

  test('unsatisfiable: 416 with Content-Range: bytes */size', async () => {
    await put('range/small', digits, 'application/octet-stream');
    const response = await send('GET', 'range/small', { Range: 'bytes=10-' });
    assert.equal(response.status, 416);
    assert.equal(header(response, 'content-range'), 'bytes */10');
  });

  test('several ranges, or a malformed one: 200 with the whole value', async () => {
    await put('range/multi', digits, 'application/octet-stream');
    for (const range of ['bytes=0-1,4-5', 'bytes=x-y', 'lines=1-2']) {
      const response = await send('GET', 'range/multi', { Range: range });
      assert.equal(response.status, 200, range);
      assert.equal(response.body.toString(), '0123456789', range);
    }
  });

  test('If-Range: the range when the ETag or date names the current version, else the whole value', async () => {
    const etag = await put('range/if', digits, 'application/octet-stream');
    const lastModified = (await head('range/if')).headers.get('last-modified') ?? '';
    assert.equal((await send('GET', 'range/if', { Range: 'bytes=0-0', 'If-Range': etag })).status, 206);
    assert.equal((await send('GET', 'range/if', { Range: 'bytes=0-0', 'If-Range': lastModified })).status, 206);
    for (const ifRange of ['"old"', `W/${etag}`, new Date(Date.now() - 3_600_000).toUTCString()]) {
      const response = await send('GET', 'range/if', { Range: 'bytes=0-0', 'If-Range': ifRange });
      assert.equal(response.status, 200, ifRange);
      assert.equal(response.body.toString(), '0123456789');
    }
  });
});

describe('compression', () => {
  test('gzip and br by Accept-Encoding and q-values; identity when none is sent', async () => {
    const etag = await put('gz/page', page, 'text/html; charset=utf-8');
    const plain = await send('GET', 'gz/page');
    assert.equal(header(plain, 'content-encoding'), undefined);
    assert.equal(plain.body.toString(), page);
    assert.equal(header(plain, 'vary'), 'Accept-Encoding');
    assert.equal(header(plain, 'etag'), etag);
    const gzip = await send('GET', 'gz/page', { 'Accept-Encoding': 'gzip' });
    assert.equal(header(gzip, 'content-encoding'), 'gzip');
    assert.equal(gunzipSync(gzip.body).toString(), page);
    assert.ok(gzip.body.length < page.length / 4, `gzip ${gzip.body.length} of ${page.length}`);
    assert.equal(header(gzip, 'vary'), 'Accept-Encoding');
    assert.equal(header(gzip, 'etag'), `W/${etag}`, 'a compressed body has the weak ETag');
    const brotli = await send('GET', 'gz/page', { 'Accept-Encoding': 'gzip, deflate, br' });
    assert.equal(header(brotli, 'content-encoding'), 'br');
    assert.equal(brotliDecompressSync(brotli.body).toString(), page);
    assert.equal(header(await send('GET', 'gz/page', { 'Accept-Encoding': 'br;q=0.5, gzip;q=0.9' }), 'content-encoding'), 'gzip');
    assert.equal(header(await send('GET', 'gz/page', { 'Accept-Encoding': 'br;q=0, gzip;q=0' }), 'content-encoding'), undefined);
    assert.equal(header(await send('GET', 'gz/page', { 'Accept-Encoding': 'identity' }), 'content-encoding'), undefined);
    assert.equal(header(await send('GET', 'gz/page', { 'Accept-Encoding': '*' }), 'content-encoding'), 'br');
  });

  test('HEAD gives the compressed length; the weak ETag revalidates to 304', async () => {
    const etag = await put('gz/head', page, 'application/json');
    const gzip = await send('GET', 'gz/head', { 'Accept-Encoding': 'gzip' });
    const headed = await head('gz/head', { 'Accept-Encoding': 'gzip' });
    assert.equal(headed.headers.get('content-length'), String(gzip.body.length));
    assert.equal(headed.headers.get('content-encoding'), 'gzip');
    const revalidated = await send('GET', 'gz/head', { 'Accept-Encoding': 'gzip', 'If-None-Match': `W/${etag}` });
    assert.equal(revalidated.status, 304);
    assert.equal(header(revalidated, 'vary'), 'Accept-Encoding');
  });

  test('a new version is compressed anew (never a stale copy)', async () => {
    await put('gz/versions', page, 'text/plain');
    assert.equal(gunzipSync((await send('GET', 'gz/versions', { 'Accept-Encoding': 'gzip' })).body).toString(), page);
    const next = page.replace('Tessera', 'Mosaic');
    await put('gz/versions', next, 'text/plain');
    assert.equal(gunzipSync((await send('GET', 'gz/versions', { 'Accept-Encoding': 'gzip' })).body).toString(), next);
  });

  test('not compressed: small values, binary types, and any request with a Range', async () => {
    await put('gz/small', '<p>short</p>', 'text/html');
    const small = await send('GET', 'gz/small', { 'Accept-Encoding': 'gzip' });
    assert.equal(header(small, 'content-encoding'), undefined);
    assert.equal(header(small, 'vary'), undefined);
    await put('gz/image', Buffer.alloc(4096, 7), 'image/png');
    const image = await send('GET', 'gz/image', { 'Accept-Encoding': 'gzip' });
    assert.equal(header(image, 'content-encoding'), undefined);
    assert.equal(header(image, 'vary'), undefined);
    await put('gz/ranged', page, 'text/html');
    const ranged = await send('GET', 'gz/ranged', { 'Accept-Encoding': 'gzip', Range: 'bytes=0-5' });
    assert.equal(ranged.status, 206);
    assert.equal(header(ranged, 'content-encoding'), undefined);
    assert.equal(ranged.body.toString(), page.slice(0, 6));
  });
});
