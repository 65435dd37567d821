// Finding 3 of issue 9 (item 4 of the work list): unread output is bounded process-wide. Clients
// that ask for a 1 MiB value again and again and never read pile up output; past
// maxBufferedOutputBytes the server answers Busy and closes the largest holders, /status reports
// the sum (and the change log's retained bytes), and a client that reads is still served.
// Upgrades past maxConnections are answered 503. Through a real server process.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { encodeRequest } from '../codec';
import { RawWsClient } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const mebibyte = 1024 * 1024;
const budgetBytes = 8 * mebibyte;
const connectionsMax = 8;
let server: ServerProcess;

before(async () => {
  server = await spawnServer({
    config: testConfig({
      namespaces: [{ name: 'content', mode: 'store', maxValueBytes: 2 * mebibyte }],
      limits: { maxBufferedOutputBytes: budgetBytes, maxConnections: connectionsMax, busyBackpressureBytes: 32 * mebibyte, backpressureBytesMax: 64 * mebibyte },
    }),
  });
});

after(async () => {
  await server?.stop();
});

interface StatusDocument {
  connections: number;
  bufferedOutputBytes: number;
  maxBufferedOutputBytes: number;
  maxConnections: number;
  changeLogRetainedBytes: number | null;
}

async function status(): Promise<StatusDocument> {
  return (await (await fetch(`${server.httpUrl}/status`)).json()) as StatusDocument;
}

/** A client that sends requests and never reads: its socket is paused as soon as it opens. */
function openNonReader(url: string): Promise<{ socket: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      (socket as unknown as { _socket: { pause(): void } })._socket.pause();
      resolve({ socket });
    });
    socket.once('error', reject);
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

test('past maxBufferedOutputBytes the largest holders are closed, the sum comes back under, readers are served', async () => {
  const writer = await RawWsClient.open(server.wsUrl);
  const put = await writer.request([{ op: 'put', ns: 'content', key: 'big', value: new Uint8Array(mebibyte).fill(7) }]);
  assert.equal(put.results[0]?.status, 0);
  const nonReaders = await Promise.all(Array.from({ length: 5 }, () => openNonReader(server.wsUrl)));
  for (const { socket } of nonReaders) {
    for (let id = 1; id <= 24; id++) socket.send(encodeRequest(id, [{ op: 'get', ns: 'content', key: 'big' }]));
  }
  try {
    // The non-readers' own sockets are paused, so the closes are seen from the server's side.
    assert.ok(await waitFor(async () => (await status()).connections < 1 + nonReaders.length, 10_000), 'some non-reading connection was closed');
    assert.ok(await waitFor(async () => (await status()).bufferedOutputBytes <= budgetBytes, 10_000), 'the sum came back within budget');
    const document = await status();
    assert.equal(document.maxBufferedOutputBytes, budgetBytes);
    assert.ok(document.changeLogRetainedBytes !== null && document.changeLogRetainedBytes >= mebibyte, `change log bytes ${document.changeLogRetainedBytes}`);
    // The reader that stayed is served (Ok, or Busy while the sum is still high, never dropped).
    const read = await writer.request([{ op: 'get', ns: 'content', key: 'big' }]);
    assert.ok(read.status === 0 || read.status === 10, `status ${read.status}`);
  } finally {
    for (const { socket } of nonReaders) socket.terminate();
    await writer.close();
  }
});

test('past maxConnections an upgrade is answered 503', async () => {
  assert.ok(await waitFor(async () => (await status()).connections === 0, 5000), 'earlier connections are gone');
  const open = await Promise.all(Array.from({ length: connectionsMax }, () => RawWsClient.open(server.wsUrl)));
  const refused = await new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl);
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => reject(new Error('the upgrade past maxConnections was accepted')));
    socket.once('error', () => undefined);
  });
  assert.equal(refused, 503);
  await open[0]?.close();
  assert.ok(await waitFor(async () => (await status()).connections < connectionsMax, 5000));
  const again = await RawWsClient.open(server.wsUrl);
  await again.close();
  await Promise.all(open.slice(1).map((client) => client.close()));
});
