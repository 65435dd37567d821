// End to end through a real server process: a client that stops reading. Unread output is bounded:
// past busyBackpressureBytes new requests are answered Busy instead of run, past
// backpressureBytesMax the server closes the connection; the server stays healthy either way.

import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { Status } from '../../engine/layout/status';
import type { ResponseFrame } from '../codec';
import { RawWsClient } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const valueBytes = 60 * 1024;
const requestCount = 400;
const burstSize = 20;

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: testConfig({ limits: { busyBackpressureBytes: 256 * 1024, backpressureBytesMax: 4 * 1024 * 1024 } }) });
});

after(async () => {
  await server?.stop();
});

test('a client that stops reading gets Busy, not unbounded buffering', async (context) => {
  const writer = await RawWsClient.open(server.wsUrl);
  await writer.request([{ op: 'put', ns: 'content', key: 'bp/value', value: new Uint8Array(valueBytes) }]);
  const reader = await RawWsClient.open(server.wsUrl);
  // Stop reading from the TCP socket: the server's responses pile up, first in the kernel, then in uWS.
  const tcp = (reader.socket as unknown as { _socket: Socket })._socket;
  tcp.pause();
  const responses: Promise<ResponseFrame>[] = [];
  for (let sent = 0; sent < requestCount; sent += burstSize) {
    for (let index = 0; index < burstSize; index++) responses.push(reader.request([{ op: 'get', ns: 'content', key: 'bp/value' }]));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  // The server still serves everyone else meanwhile.
  const other = await writer.request([{ op: 'head', ns: 'content', key: 'bp/value' }]);
  assert.equal(other.results[0]?.status, Status.Ok);
  tcp.resume();
  const outcome = await Promise.race([Promise.all(responses).then((frames) => ({ frames })), reader.closed.then((close) => ({ close }))]);
  if ('frames' in outcome) {
    const busy = outcome.frames.filter((frame) => frame.status === Status.Busy).length;
    const ok = outcome.frames.filter((frame) => frame.status === Status.Ok).length;
    context.diagnostic(`answered: ${ok} Ok, ${busy} Busy`);
    assert.equal(busy + ok, requestCount);
    assert.ok(busy > 0, 'some requests were refused Busy');
    assert.ok(ok > 0);
  } else {
    // Closing a connection that passed backpressureBytesMax is the other bounded outcome.
    context.diagnostic(`connection closed with ${outcome.close.code}`);
    assert.notEqual(outcome.close.code, 1000);
  }
  assert.equal((await fetch(`${server.httpUrl}/status`)).status, 200);
  await writer.close();
  await reader.close();
});
