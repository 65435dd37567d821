// Issue 13: CORS driven by allowedOrigins, over raw HTTP: preflights answered for allowed origins
// and refused for others, Access-Control-* and Vary: Origin on content responses.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { corsAllowHeaders, corsAllowMethods, corsMaxAgeSec } from './cors';
import { header, rawHttp, type RawResponse } from './raw-http.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;
const allowed = 'https://app.example';

before(async () => {
  server = await spawnServer({ config: { ...testConfig(), allowedOrigins: [allowed] } });
});

after(async () => {
  await server?.stop();
});

async function send(request: string): Promise<RawResponse> {
  const exchange = await rawHttp(server.port, request, { expectResponses: 1 });
  const response = exchange.responses[0];
  assert.ok(response !== undefined, exchange.raw.toString());
  return response;
}

function preflight(origin: string, path = '/v1/content/doc'): Promise<RawResponse> {
  return send(`OPTIONS ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${origin}\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: content-type, if-match\r\n\r\n`);
}

describe('preflight', () => {
  test('an allowed origin: 204 with the methods, headers and max-age', async () => {
    const response = await preflight(allowed);
    assert.equal(response.status, 204);
    assert.equal(header(response, 'access-control-allow-origin'), allowed);
    assert.equal(header(response, 'access-control-allow-methods'), corsAllowMethods);
    assert.equal(header(response, 'access-control-allow-headers'), corsAllowHeaders);
    assert.equal(header(response, 'access-control-max-age'), String(corsMaxAgeSec));
    assert.equal(header(response, 'vary'), 'Origin');
    // Before access control and the namespace lookup: any /v1/ path.
    assert.equal((await preflight(allowed, '/v1/nonexistent/x')).status, 204);
  });

  test('another origin, or null: 403 without Access-Control-Allow-Origin', async () => {
    for (const origin of ['https://evil.example', 'null', 'https://app.example.evil']) {
      const response = await preflight(origin);
      assert.equal(response.status, 403, origin);
      assert.equal(header(response, 'access-control-allow-origin'), undefined, origin);
      assert.equal(JSON.parse(response.body.toString()).error, 'Forbidden');
    }
  });

  test('OPTIONS without a preflight: 204 with Allow', async () => {
    const response = await send('OPTIONS /v1/content/doc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(response.status, 204);
    assert.equal(header(response, 'allow'), 'GET, HEAD, PUT, DELETE, OPTIONS');
  });
});

describe('responses', () => {
  test('to an allowed origin: Allow-Origin, Expose-Headers, Vary: Origin, on success and on errors', async () => {
    const put = await send(`PUT /v1/content/doc HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${allowed}\r\nContent-Length: 2\r\n\r\nhi`);
    assert.equal(put.status, 201);
    assert.equal(header(put, 'access-control-allow-origin'), allowed);
    const got = await send(`GET /v1/content/doc HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${allowed}\r\n\r\n`);
    assert.equal(got.status, 200);
    assert.equal(header(got, 'access-control-allow-origin'), allowed);
    const exposed = header(got, 'access-control-expose-headers') ?? '';
    for (const name of ['ETag', 'Tessera-Generation', 'Content-Range']) assert.ok(exposed.includes(name), name);
    assert.equal(header(got, 'vary'), 'Origin');
    const missing = await send(`GET /v1/content/none HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${allowed}\r\n\r\n`);
    assert.equal(missing.status, 404);
    assert.equal(header(missing, 'access-control-allow-origin'), allowed);
  });

  test('to another origin, or none: no Allow-Origin, but Vary: Origin all the same', async () => {
    for (const origin of ['Origin: https://evil.example\r\n', '']) {
      const got = await send(`GET /v1/content/doc HTTP/1.1\r\nHost: 127.0.0.1\r\n${origin}\r\n`);
      assert.equal(got.status, 200);
      assert.equal(header(got, 'access-control-allow-origin'), undefined);
      assert.equal(header(got, 'vary'), 'Origin');
    }
  });
});

test('without allowedOrigins: no CORS headers, no Vary: Origin, preflights refused', async () => {
  const plain = await spawnServer({ config: testConfig() });
  try {
    const put = await fetch(`${plain.httpUrl}/v1/content/doc`, { method: 'PUT', body: 'x' });
    assert.equal(put.status, 201);
    const exchange = await rawHttp(plain.port, `GET /v1/content/doc HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${allowed}\r\n\r\n`, { expectResponses: 1 });
    const got = exchange.responses[0];
    assert.ok(got !== undefined);
    assert.equal(header(got, 'access-control-allow-origin'), undefined);
    assert.equal(header(got, 'vary'), undefined);
    const refused = await rawHttp(plain.port, `OPTIONS /v1/content/doc HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${allowed}\r\nAccess-Control-Request-Method: GET\r\n\r\n`, { expectResponses: 1 });
    assert.equal(refused.responses[0]?.status, 403);
  } finally {
    await plain.stop();
  }
});
