// Finding 2 of issue 9: a malformed or ambiguous Content-Length on a PUT is answered 400 (or, where
// uWS itself closes first, a clean close) and never overwrites the record. Raw requests over TCP to
// a real server process; each case starts from a record holding "original".

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rawHttp } from './raw-http.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: testConfig() });
});

after(async () => {
  await server?.stop();
});

async function seed(key: string): Promise<void> {
  const response = await fetch(`${server.httpUrl}/v1/content/${key}`, { method: 'PUT', body: 'original' });
  assert.ok(response.status === 201 || response.status === 200);
}

async function valueOf(key: string): Promise<string> {
  const response = await fetch(`${server.httpUrl}/v1/content/${key}`);
  assert.equal(response.status, 200);
  return response.text();
}

const cases: [string, string][] = [
  ['abc', 'Content-Length: abc\r\n\r\nabc'],
  ['-5', 'Content-Length: -5\r\n\r\n'],
  ['+5', 'Content-Length: +5\r\n\r\nhello'],
  ['1,5', 'Content-Length: 1,5\r\n\r\nhello'],
  ['missing body', '\r\n'],
  ['two differing', 'Content-Length: 3\r\nContent-Length: 5\r\n\r\nhello'],
  ['two differing, larger first', 'Content-Length: 5\r\nContent-Length: 3\r\n\r\nhello'],
  ['length and chunked', 'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'],
];

for (const [name, tail] of cases) {
  test(`PUT with ${name}: 400 or a clean close, and the record keeps its value`, async () => {
    const key = `length/${name.replace(/[^a-z0-9]/g, '-')}`;
    await seed(key);
    const exchange = await rawHttp(server.port, `PUT /v1/content/${key} HTTP/1.1\r\nHost: 127.0.0.1\r\n${tail}`, { expectResponses: 1 });
    const [response] = exchange.responses;
    if (response === undefined) {
      assert.equal(exchange.raw.length, 0, 'no partial response');
      assert.equal(exchange.closed, true, 'no response means the server closed the connection');
    } else {
      assert.equal(response.status, 400, exchange.raw.toString('latin1'));
      assert.equal(JSON.parse(response.body.toString()).error, 'InvalidArgument');
    }
    assert.equal(await valueOf(key), 'original');
  });
}

test('two equal Content-Length headers are one length (RFC 9112 §6.3)', async () => {
  const exchange = await rawHttp(server.port, 'PUT /v1/content/length/equal HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc', { expectResponses: 1 });
  assert.equal(exchange.responses[0]?.status, 201);
  assert.equal(await valueOf('length/equal'), 'abc');
});

test('Content-Length: 0 stores an empty value', async () => {
  await seed('length/zero');
  const exchange = await rawHttp(server.port, 'PUT /v1/content/length/zero HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n', { expectResponses: 1 });
  assert.equal(exchange.responses[0]?.status, 200);
  assert.equal(await valueOf('length/zero'), '');
});
