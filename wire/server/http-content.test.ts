// End to end through a real server process: every status of the HTTP content API.

import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
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

async function put(path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url(path), { method: 'PUT', body, headers });
}

async function errorOf(response: Response): Promise<{ error: string; message: string }> {
  assert.equal(response.headers.get('content-type'), 'application/json');
  return (await response.json()) as { error: string; message: string };
}

describe('PUT', () => {
  test('201 when created, 200 when replaced; ETag per version, Tessera-Generation the generation', async () => {
    const created = await put('/v1/content/put/a', 'one', { 'Content-Type': 'text/plain' });
    assert.equal(created.status, 201);
    assert.match(created.headers.get('etag') ?? '', /^"\d+-1"$/);
    assert.equal(created.headers.get('tessera-generation'), '1');
    const replaced = await put('/v1/content/put/a', 'two', { 'Content-Type': 'text/plain' });
    assert.equal(replaced.status, 200);
    assert.match(replaced.headers.get('etag') ?? '', /^"\d+-2"$/);
    assert.equal(replaced.headers.get('tessera-generation'), '2');
    const got = await fetch(url('/v1/content/put/a'));
    assert.equal(got.headers.get('etag'), replaced.headers.get('etag'), 'GET serves the ETag the PUT answered');
  });

  test('If-Match: 412 when the ETag differs, 200 when it matches, 412 when missing', async () => {
    const first = (await put('/v1/content/put/b', 'one')).headers.get('etag') ?? '';
    for (const header of ['"7"', '"1"', '"x-1"']) {
      const stale = await put('/v1/content/put/b', 'x', { 'If-Match': header });
      assert.equal(stale.status, 412, header);
      assert.equal((await errorOf(stale)).error, 'GenerationMismatch');
    }
    const fresh = await put('/v1/content/put/b', 'two', { 'If-Match': first });
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get('tessera-generation'), '2');
    const current = fresh.headers.get('etag') ?? '';
    assert.equal((await put('/v1/content/put/b', 'x', { 'If-Match': first })).status, 412, 'the previous version no longer matches');
    const weak = await put('/v1/content/put/b', 'x', { 'If-Match': `W/${current}` });
    assert.equal(weak.status, 412, 'If-Match compares strongly');
    const missing = await put('/v1/content/put/never', 'x', { 'If-Match': current });
    assert.equal(missing.status, 412);
    const anyMissing = await put('/v1/content/put/never', 'x', { 'If-Match': '*' });
    assert.equal(anyMissing.status, 412);
    assert.equal((await fetch(url('/v1/content/put/never'))).status, 404, 'a failed precondition writes nothing');
  });

  test('If-None-Match: * creates only', async () => {
    const created = await put('/v1/content/put/c', 'one', { 'If-None-Match': '*' });
    assert.equal(created.status, 201);
    const again = await put('/v1/content/put/c', 'two', { 'If-None-Match': '*' });
    assert.equal(again.status, 412);
    assert.equal((await errorOf(again)).error, 'AlreadyExists');
    assert.equal(await (await fetch(url('/v1/content/put/c'))).text(), 'one');
  });

  test('?ttl sets Cache-Control; a bad ttl is 400', async () => {
    assert.equal((await put('/v1/content/put/ttl?ttl=120', 'x')).status, 201);
    const got = await fetch(url('/v1/content/put/ttl'));
    const maxAge = Number(/^max-age=(\d+)$/.exec(got.headers.get('cache-control') ?? '')?.[1]);
    assert.ok(maxAge >= 118 && maxAge <= 120, `max-age ${maxAge}`);
    for (const ttl of ['abc', '-1', '1.5', '999999999999']) {
      const bad = await put(`/v1/content/put/ttl?ttl=${ttl}`, 'x');
      assert.equal(bad.status, 400, ttl);
      assert.equal((await errorOf(bad)).error, 'InvalidArgument');
    }
  });

  test('413 when the value is larger than the namespace allows, declared or chunked; far larger closes', async () => {
    const big = new Uint8Array(64 * 1024 + 1);
    const declared = await put('/v1/content/put/big', big);
    assert.equal(declared.status, 413);
    assert.equal((await errorOf(declared)).error, 'ValueTooLarge');
    const chunked = await chunkedPut('/v1/content/put/big', 20, 8 * 1024);
    assert.equal(chunked.status, 413);
    assert.equal(JSON.parse(chunked.body).error, 'ValueTooLarge');
    const fits = await chunkedPut('/v1/content/put/fits', 4, 1024);
    assert.equal(fits.status, 201);
    assert.equal((await (await fetch(url('/v1/content/put/fits'))).arrayBuffer()).byteLength, 4096);
    assert.equal((await fetch(url('/v1/content/put/big'))).status, 404);
    // Far past the limit the server stops reading and closes: a 413 or a reset, never a hang.
    const huge = await fetch(url('/v1/content/put/huge'), { method: 'PUT', body: new Uint8Array(8 * 1024 * 1024) }).then(
      (response) => response.status,
      () => 'reset',
    );
    assert.ok(huge === 413 || huge === 'reset', String(huge));
    assert.equal((await fetch(url('/v1/content/put/huge'))).status, 404);
  });

  test('400 for a bad key: empty, too long, bad escape', async () => {
    for (const path of ['/v1/content/', `/v1/content/${'k'.repeat(257)}`, '/v1/content/a%zz', '/v1/content']) {
      const response = await put(path, 'x');
      assert.equal(response.status, 400, path);
      assert.match((await errorOf(response)).error, /^(InvalidKey|KeyTooLarge)$/);
    }
  });

  test('404 for an unknown namespace', async () => {
    const response = await put('/v1/nowhere/key', 'x');
    assert.equal(response.status, 404);
    assert.equal((await errorOf(response)).error, 'UnknownNamespace');
  });

  test('a content type longer than 255 bytes is 400', async () => {
    const response = await put('/v1/content/put/type', 'x', { 'Content-Type': `text/${'x'.repeat(300)}` });
    assert.equal(response.status, 400);
  });
});

describe('GET and HEAD', () => {
  test('200 with value, ETag, Content-Type, Last-Modified; no Cache-Control without TTL', async () => {
    const value = new Uint8Array([0, 1, 2, 255, 254]);
    const before = Math.floor(Date.now() / 1000);
    await put('/v1/content/get/bin', value, { 'Content-Type': 'application/x-thing' });
    const response = await fetch(url('/v1/content/get/bin'));
    assert.equal(response.status, 200);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), value);
    assert.match(response.headers.get('etag') ?? '', /^"\d+-1"$/);
    assert.equal(response.headers.get('tessera-generation'), '1');
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    assert.equal(response.headers.get('content-type'), 'application/x-thing');
    assert.equal(response.headers.get('cache-control'), null);
    const lastModified = Date.parse(response.headers.get('last-modified') ?? '') / 1000;
    assert.ok(lastModified >= before && lastModified <= before + 2);
  });

  test('a value without a content type reads as application/octet-stream', async () => {
    await fetch(url('/v1/content/get/untyped'), { method: 'PUT', body: new Uint8Array([1]) });
    const response = await fetch(url('/v1/content/get/untyped'));
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
  });

  test('HEAD: the headers of GET, Content-Length of the value, no body', async () => {
    const etag = (await put('/v1/content/get/head', 'twelve bytes', { 'Content-Type': 'text/plain' })).headers.get('etag');
    const response = await fetch(url('/v1/content/get/head'), { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), '12');
    assert.equal(response.headers.get('etag'), etag);
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    assert.equal(response.headers.get('content-type'), 'text/plain');
    assert.equal(await response.text(), '');
    const missing = await fetch(url('/v1/content/get/nothing'), { method: 'HEAD' });
    assert.equal(missing.status, 404);
  });

  test('If-None-Match → 304 when it names the current ETag (weakly), 200 otherwise', async () => {
    const first = (await put('/v1/content/get/cond', 'v1')).headers.get('etag') ?? '';
    const second = (await put('/v1/content/get/cond', 'v2')).headers.get('etag') ?? '';
    for (const header of [second, `W/${second}`, `${first}, ${second}`, '*']) {
      const response = await fetch(url('/v1/content/get/cond'), { headers: { 'If-None-Match': header } });
      assert.equal(response.status, 304, header);
      assert.equal(response.headers.get('etag'), second);
      assert.equal(await response.text(), '');
    }
    const stale = await fetch(url('/v1/content/get/cond'), { headers: { 'If-None-Match': first } });
    assert.equal(stale.status, 200);
    assert.equal(await stale.text(), 'v2');
  });

  test('If-Modified-Since → 304 when the record is not newer', async () => {
    await put('/v1/content/get/ims', 'v');
    const future = new Date(Date.now() + 60_000).toUTCString();
    assert.equal((await fetch(url('/v1/content/get/ims'), { headers: { 'If-Modified-Since': future } })).status, 304);
    const past = new Date(Date.now() - 3_600_000).toUTCString();
    assert.equal((await fetch(url('/v1/content/get/ims'), { headers: { 'If-Modified-Since': past } })).status, 200);
  });

  test('404 when missing, as JSON', async () => {
    const response = await fetch(url('/v1/content/get/missing'));
    assert.equal(response.status, 404);
    assert.deepEqual(await errorOf(response), { error: 'NotFound', message: 'no record with that key' });
  });

  test('keys keep slashes and are percent-decoded to UTF-8 bytes', async () => {
    await put('/v1/content/get/caf%C3%A9/a%2Fb', 'utf8');
    assert.equal(await (await fetch(url('/v1/content/get/café/a%2fb'))).text(), 'utf8');
    assert.equal((await fetch(url('/v1/content/get/caf%C3%A9/a/b'))).status, 200, '%2F and / are the same byte');
  });
});

describe('DELETE', () => {
  test('204, then 404; If-Match → 412 on mismatch', async () => {
    const etag = (await put('/v1/content/del/a', 'x')).headers.get('etag') ?? '';
    const mismatch = await fetch(url('/v1/content/del/a'), { method: 'DELETE', headers: { 'If-Match': '"1"' } });
    assert.equal(mismatch.status, 412);
    assert.equal((await errorOf(mismatch)).error, 'GenerationMismatch');
    const deleted = await fetch(url('/v1/content/del/a'), { method: 'DELETE', headers: { 'If-Match': etag } });
    assert.equal(deleted.status, 204);
    assert.equal(await deleted.text(), '');
    const again = await fetch(url('/v1/content/del/a'), { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal((await errorOf(again)).error, 'NotFound');
  });
});

describe('other methods and paths', () => {
  test('405 with Allow for an unsupported method', async () => {
    const response = await fetch(url('/v1/content/x'), { method: 'POST', body: 'x' });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'GET, HEAD, PUT, DELETE, OPTIONS');
  });

  test('404 JSON for an unknown path', async () => {
    const response = await fetch(url('/nothing/here'));
    assert.equal(response.status, 404);
    assert.equal((await errorOf(response)).error, 'NotFound');
  });
});

/** A PUT with Transfer-Encoding: chunked (no Content-Length), chunkCount chunks of chunkBytes. */
function chunkedPut(path: string, chunkCount: number, chunkBytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url(path), { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    let sent = 0;
    const writeNext = (): void => {
      while (sent < chunkCount) {
        sent++;
        if (!request.write(Buffer.alloc(chunkBytes, 0x61))) {
          request.once('drain', writeNext);
          return;
        }
      }
      request.end();
    };
    writeNext();
  });
}
