// The lesser findings of issue 9 (finding 8), each through a real server process or the real
// config loader: no `uWebSockets: 20` header; a config file that is not JSON is refused without
// echoing its bytes; scan `limit: 0` and subscription id 0 are refused typed by the client; a
// subscription from an LSN the log never reached gets a Gap, never silence.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Status } from '../../engine/layout/status';
import { connect } from '../client';
import { validateOpArguments } from '../codec';
import { rawHttp } from './raw-http.fixture';
import { resolveServerConfig } from './server-config';
import { RawWsClient } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: testConfig() });
});

after(async () => {
  await server?.stop();
});

test('no response advertises uWebSockets', async () => {
  for (const request of ['GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'GET /v1/content/none HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n']) {
    const exchange = await rawHttp(server.port, request, { expectResponses: 1 });
    assert.ok(exchange.responses.length === 1);
    assert.doesNotMatch(exchange.raw.toString('latin1'), /uWebSockets/i);
  }
});

test('a config file that is not JSON is refused without its bytes in the message', () => {
  const secret = 'tsr_SECRET-token-pasted-by-mistake';
  assert.throws(
    () => resolveServerConfig({ flags: { config: 'oops.json' }, env: {}, readFile: () => `${secret}\n{"port": 1}` }),
    (error: unknown) => {
      const message = String(error);
      assert.match(message, /not valid JSON/);
      assert.doesNotMatch(message, /SECRET|tsr_/);
      return true;
    },
  );
});

test('scan limit 0 and subscription id 0 are refused by the client, typed', async () => {
  assert.equal(validateOpArguments({ op: 'scan', ns: 'content', limit: 0 }), Status.InvalidArgument);
  assert.equal(validateOpArguments({ op: 'subscribe', subId: 0, ns: 'content' }), Status.InvalidArgument);
  assert.equal(validateOpArguments({ op: 'unsubscribe', subId: 0 }), Status.InvalidArgument);
  const client = await connect(server.wsUrl, { reconnect: false });
  try {
    await assert.rejects(client.scan('content', { limit: 0 }), (error: unknown) => (error as { status?: string }).status === 'InvalidArgument');
  } finally {
    await client.close();
  }
});

test('fromLsn ahead of the log: a Gap event, not silence', async () => {
  const client = await RawWsClient.open(server.wsUrl);
  try {
    const frames: unknown[] = [];
    client.socket.on('message', (data: Buffer) => frames.push(data));
    const response = await client.request([{ op: 'subscribe', subId: 7, ns: 'content', fromLsn: 1_000_000 }]);
    assert.equal(response.results[0]?.status, Status.Ok);
    const deadline = Date.now() + 2000;
    while (client.unexpected.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(client.unexpected.some((line) => line.includes('gap')), `a gap event arrived: ${client.unexpected.join('; ')}`);
  } finally {
    await client.close();
  }
});

test('a request target longer than any key could need is 414; what uWS 20.30 drops, it drops cleanly', async () => {
  // uWS 20.30 parses a header block over 4 KiB only when it arrives in one read; one that spans
  // reads overflows its fixed 4 KiB fallback buffer and the connection is closed with no answer
  // (seen about once in ten runs on a loaded machine). So each try is a 414 or a clean close,
  // never a hang or a partial answer, and at least one of a bounded number of tries is the 414.
  const request = `GET /v1/content/${'k'.repeat(60 * 1024)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
  let answered414 = false;
  for (let attempt = 0; attempt < 10 && !answered414; attempt += 1) {
    const long = await rawHttp(server.port, request, { expectResponses: 1, timeoutMs: 3000 });
    if (long.responses.length === 0) {
      assert.equal(long.raw.length, 0, 'nothing partial');
      assert.equal(long.closed, true, 'a clean close, not a hang');
      continue;
    }
    assert.equal(long.responses[0]?.status, 414);
    answered414 = true;
  }
  assert.ok(answered414, 'a 414 within ten tries');
  // uWS closes these itself and calls no handler, so 501 / 431 cannot be sent (measured): the
  // client sees a clean close and nothing else.
  for (const request of ['PROPFIND /v1/content/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 'BREW /v1/content/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n']) {
    const exchange = await rawHttp(server.port, request, { timeoutMs: 2000 });
    assert.equal(exchange.raw.length, 0);
    assert.equal(exchange.closed, true);
  }
  assert.equal((await fetch(`${server.httpUrl}/status`)).status, 200);
});

test('/status reports each namespace limit as the engine splits it: per shard', async () => {
  const status = (await (await fetch(`${server.httpUrl}/status`)).json()) as { shards: number; shardTableBytes: number[] | null; namespaces: { name: string; memoryLimitBytes: number; shardBudgetBytes: number }[] };
  assert.equal(status.shardTableBytes?.length, status.shards, 'table bytes per shard');
  for (const namespace of status.namespaces) {
    assert.equal(namespace.shardBudgetBytes, Math.floor(namespace.memoryLimitBytes / status.shards), namespace.name);
  }
});
