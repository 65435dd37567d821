// Finding 1 of issue 9: a content type is stored and later written verbatim into the Content-Type
// header of every HTTP GET, so a CR/LF in it injected headers (or a whole response) into readers'
// responses. Every write path must refuse it with InvalidContentType and write nothing: the
// WebSocket put, the HTTP PUT, and the in-process engine.batch. Through a real server process.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openEngine, Status, type EngineApi } from '../../engine';
import { header, rawHttp } from './raw-http.fixture';
import { RawWsClient } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;
let client: RawWsClient;

before(async () => {
  server = await spawnServer({ config: testConfig() });
  client = await RawWsClient.open(server.wsUrl);
});

after(async () => {
  await client?.close();
  await server?.stop();
});

const injections = [
  'text/html\r\nSet-Cookie: pwned=1\r\nX-Injected: yes',
  'text/html\r\n\r\n<script>alert(1)</script>',
  'text/plain\0tail',
  'text/plain\n',
  'not a media type',
];

describe('WebSocket put', () => {
  test('a content type that is not a media type is InvalidContentType and nothing is written', async () => {
    for (const [index, contentType] of injections.entries()) {
      const key = `inject/ws/${index}`;
      const response = await client.request([
        { op: 'put', ns: 'content', key, value: 'x', contentType },
        { op: 'get', ns: 'content', key },
      ]);
      assert.deepEqual(
        response.results.map((result) => result.status),
        [Status.InvalidContentType, Status.NotFound],
        JSON.stringify(contentType),
      );
      const got = await rawHttp(server.port, `GET /v1/content/${key} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, { expectResponses: 1 });
      assert.equal(got.responses[0]?.status, 404);
      assert.doesNotMatch(got.raw.toString('latin1'), /Set-Cookie|X-Injected|<script>/i);
    }
  });

  test('a valid content type with parameters is stored and served as it was given', async () => {
    const contentType = 'text/html; charset="utf-8"';
    const response = await client.request([{ op: 'put', ns: 'content', key: 'inject/ws/ok', value: '<p>', contentType }]);
    assert.equal(response.results[0]?.status, Status.Ok);
    const got = await rawHttp(server.port, 'GET /v1/content/inject/ws/ok HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { expectResponses: 1 });
    const [first] = got.responses;
    assert.ok(first !== undefined);
    assert.equal(header(first, 'content-type'), contentType);
  });
});

describe('HTTP PUT', () => {
  test('a Content-Type that is not a media type is 400 InvalidContentType and nothing is written', async () => {
    // uWS hands header values over as they came; CR and LF cannot be in one, but these can.
    const headers = ['text/html, text/plain', 'text/html; charset', 'text', 'text/plain; a=b c', 'text/plain; a="b'];
    for (const [index, value] of headers.entries()) {
      const key = `inject/http/${index}`;
      const put = await rawHttp(server.port, `PUT /v1/content/${key} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${value}\r\nContent-Length: 1\r\n\r\nx`, { expectResponses: 1 });
      const [response] = put.responses;
      assert.equal(response?.status, 400, JSON.stringify(value));
      assert.equal(JSON.parse(response.body.toString()).error, 'InvalidContentType');
      const got = await fetch(`${server.httpUrl}/v1/content/${key}`);
      assert.equal(got.status, 404, `${JSON.stringify(value)} wrote nothing`);
    }
  });
});

describe('engine.batch in process', () => {
  let engine: EngineApi;
  before(async () => {
    engine = await openEngine({ shards: 1, sweepIntervalMs: 0, namespaces: [{ name: 'content' }] });
  });
  after(async () => {
    await engine?.close();
  });

  test('InvalidContentType for every injection, nothing written, valid ops beside it still run', async () => {
    for (const contentType of injections) {
      const results = await engine.batch([
        { op: 'put', ns: 'content', key: 'bad', value: 'x', contentType },
        { op: 'put', ns: 'content', key: 'good', value: 'y', contentType: 'text/plain' },
      ]);
      assert.deepEqual(results.map((result) => result.status), [Status.InvalidContentType, Status.Ok], JSON.stringify(contentType));
      assert.equal((await engine.get('content', 'bad')).status, Status.NotFound);
    }
  });
});
