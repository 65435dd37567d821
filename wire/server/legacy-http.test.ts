// Finding 6 of issue 9: HTTP/1.0. uWS 20.30 cannot parse an HTTP/1.0 request line at all (see
// legacy-http.ts), so HTTP/1.0 is served on legacyHttpPort by Node's parser with the same routes.
// Tested with raw HTTP/1.0 requests and through a REAL nginx with its default proxy settings
// (proxy_pass alone, which speaks HTTP/1.0 to the upstream). Skipped only when nginx is missing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTokenEntry } from './token-command';
import { header, rawHttp } from './raw-http.fixture';
import { findNginx, startNginx, type RunningNginx } from './nginx.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;
let legacyPort = 0;
const token = createTokenEntry('proxy', { '*': 'write' });

before(async () => {
  server = await spawnServer({ config: { ...testConfig(), legacyHttpPort: 0, auth: { tokens: [token.entry] } } });
  const line = server.logs.find((entry) => entry.includes('"tessera listening"')) ?? '{}';
  legacyPort = (JSON.parse(line) as { legacyHttpPort?: number }).legacyHttpPort ?? 0;
  assert.ok(legacyPort > 0, `legacy port in ${line}`);
});

after(async () => {
  await server?.stop();
});

const auth = `Authorization: Bearer ${token.token}\r\n`;

describe('HTTP/1.0 on legacyHttpPort', () => {
  test('PUT, GET, HEAD, DELETE: answered, Content-Length, no chunked, connection closed', async () => {
    const put = await rawHttp(legacyPort, `PUT /v1/content/old/a HTTP/1.0\r\n${auth}Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello`);
    assert.equal(put.responses[0]?.status, 201, put.raw.toString());
    assert.equal(put.closed, true, 'HTTP/1.0 without keep-alive: closed after the answer');
    const got = await rawHttp(legacyPort, `GET /v1/content/old/a HTTP/1.0\r\n${auth}\r\n`);
    const response = got.responses[0];
    assert.ok(response !== undefined, got.raw.toString());
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), 'hello');
    assert.equal(header(response, 'content-length'), '5');
    assert.equal(header(response, 'transfer-encoding'), undefined);
    assert.equal(header(response, 'content-type'), 'text/plain');
    assert.match(header(response, 'etag') ?? '', /^"\d+-1"$/);
    assert.equal(header(response, 'tessera-generation'), '1');
    const head = await rawHttp(legacyPort, `HEAD /v1/content/old/a HTTP/1.0\r\n${auth}\r\n`);
    assert.match(head.raw.toString(), /^HTTP\/1\.[01] 200 /);
    assert.doesNotMatch(head.raw.toString(), /hello/);
    const removed = await rawHttp(legacyPort, `DELETE /v1/content/old/a HTTP/1.0\r\n${auth}\r\n`);
    assert.match(removed.raw.toString(), /^HTTP\/1\.[01] 204 /);
  });

  test('keep-alive when asked; access control and the Host check apply as on the main port', async () => {
    const two = await rawHttp(legacyPort, `GET /status HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`, { expectResponses: 1 });
    assert.equal(two.responses[0]?.status, 200);
    assert.equal(two.closed, false, 'kept alive on request');
    assert.equal((await rawHttp(legacyPort, 'GET /v1/content/old/a HTTP/1.0\r\n\r\n')).responses[0]?.status, 401);
    assert.equal((await rawHttp(legacyPort, `GET /status HTTP/1.0\r\nHost: evil.example\r\n\r\n`)).responses[0]?.status, 403);
  });

  test('malformed Content-Length is refused by Node\'s parser and writes nothing', async () => {
    await rawHttp(legacyPort, `PUT /v1/content/old/b HTTP/1.0\r\n${auth}Content-Length: 3\r\n\r\nabc`);
    for (const length of ['abc', '-5', '3\r\nContent-Length: 5']) {
      const exchange = await rawHttp(legacyPort, `PUT /v1/content/old/b HTTP/1.0\r\n${auth}Content-Length: ${length}\r\n\r\nhello`);
      assert.ok(exchange.responses.length === 0 || exchange.responses[0]?.status === 400, exchange.raw.toString());
    }
    const got = await rawHttp(legacyPort, `GET /v1/content/old/b HTTP/1.0\r\n${auth}\r\n`);
    assert.equal(got.responses[0]?.body.toString(), 'abc');
  });
});

describe('pipelined HTTP/1.1 on legacyHttpPort (the main port closes a connection that pipelines a write: uWS 20.30)', () => {
  test('PUT, PUT, GET, DELETE, GET in one TCP write: every one answered, in order, writes applied in order', async () => {
    const host = 'Host: 127.0.0.1\r\n';
    const put = (key: string, body: string): string => `PUT /v1/content/${key} HTTP/1.1\r\n${host}${auth}Content-Length: ${body.length}\r\n\r\n${body}`;
    const get = (key: string): string => `GET /v1/content/${key} HTTP/1.1\r\n${host}${auth}\r\n`;
    const del = (key: string): string => `DELETE /v1/content/${key} HTTP/1.1\r\n${host}${auth}\r\n`;
    const burst = put('pipe/a', 'one') + put('pipe/a', 'two') + get('pipe/a') + put('pipe/b', 'bee') + del('pipe/b') + get('pipe/b');
    const exchange = await rawHttp(legacyPort, burst, { expectResponses: 6, timeoutMs: 5000 });
    const answered = exchange.responses.map((response) => `${response.status} ${response.body.toString()}`.trim());
    assert.equal(answered.length, 6, exchange.raw.toString());
    assert.equal(answered[0], '201');
    assert.equal(answered[1], '200');
    assert.equal(answered[2], '200 two', 'the GET sees the second PUT: writes applied in order');
    assert.equal(answered[3], '201');
    assert.equal(answered[4], '204');
    assert.match(answered[5] ?? '', /^404 /);
    assert.equal(exchange.responses[1]?.headers.get('tessera-generation')?.[0], '2');
    assert.match(exchange.responses[1]?.headers.get('etag')?.[0] ?? '', /^"\d+-2"$/);
  });
});

const nginx = findNginx();
describe('through a real nginx with its default proxy_pass (HTTP/1.0 upstream)', { skip: nginx === null ? 'nginx is not installed (apt-get install nginx)' : false }, () => {
  let proxy: RunningNginx;
  before(async () => {
    proxy = await startNginx(nginx as string, legacyPort);
  });
  after(async () => {
    await proxy?.stop();
  });

  test('PUT, GET with headers, 404, 401, DELETE, all answered through nginx', async () => {
    const base = `http://127.0.0.1:${proxy.port}`;
    const headers = { Authorization: `Bearer ${token.token}` };
    const put = await fetch(`${base}/v1/content/nginx/a`, { method: 'PUT', body: 'via nginx', headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
    assert.equal(put.status, 201, proxy.errorLog());
    const got = await fetch(`${base}/v1/content/nginx/a`, { headers });
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'via nginx');
    assert.equal(got.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(got.headers.get('etag'), put.headers.get('etag'));
    assert.equal(got.headers.get('tessera-generation'), '1');
    assert.equal((await fetch(`${base}/v1/content/nginx/missing`, { headers })).status, 404);
    assert.equal((await fetch(`${base}/v1/content/nginx/a`)).status, 401);
    assert.equal((await fetch(`${base}/v1/content/nginx/a`, { method: 'DELETE', headers })).status, 204);
    assert.equal((await fetch(`${base}/status`)).status, 200);
  });
});
