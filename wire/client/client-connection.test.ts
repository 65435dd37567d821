// The client's connection handling: failed connects, drops with reads re-sent and writes failed,
// queued calls while reconnecting, timeouts, close(), and a server sending garbage.

import { strict as assert } from 'node:assert';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { connect } from './client';
import { clientErrorCodes, TesseraError, type ClientErrorName } from './tessera-error';
import { FakeServer } from './fake-server.fixture';

const fastReconnect = { reconnectDelayMsMin: 10, reconnectDelayMsMax: 40 };
const text = (bytes: Uint8Array | null | undefined): string => new TextDecoder().decode(bytes ?? undefined);

async function rejectsWith(promise: Promise<unknown>, status: ClientErrorName): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TesseraError, `a TesseraError, not ${String(error)}`);
    assert.equal(error.status, status);
    assert.equal(error.code, clientErrorCodes[status]);
    return true;
  });
}

async function until(condition: () => boolean): Promise<void> {
  for (let round = 0; round < 400 && !condition(); round++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), 'condition reached in time');
}

test('connect to a port nobody listens on fails with ConnectionFailed', async () => {
  const server = await FakeServer.start();
  const url = server.url;
  await server.close();
  await rejectsWith(connect(url), 'ConnectionFailed');
});

test('a server that never completes the handshake fails connect after connectTimeoutMs', async () => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as AddressInfo;
  const startedMs = performance.now();
  await rejectsWith(connect(`ws://127.0.0.1:${port}/`, { connectTimeoutMs: 100 }), 'ConnectionFailed');
  assert.ok(performance.now() - startedMs >= 90);
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

test('a dropped connection: writes in flight fail, reads in flight are sent again', async () => {
  const server = await FakeServer.start();
  const client = await connect(server.url, fastReconnect);
  try {
    await client.put('ns', 'k', 'before');
    server.holding = true;
    const framesBefore = server.framesReceived;
    const read = client.get('ns', 'k');
    const write = client.put('ns', 'k', 'during');
    // Made in one turn, the two calls leave in one frame; the drop still fails only the write.
    await until(() => server.framesReceived === framesBefore + 1);
    server.dropConnections();
    await rejectsWith(write, 'ConnectionLost');
    server.holding = false;
    // The read is answered on the new connection. It sees the write: the server applied it and
    // only its response was lost, which is why a write is failed rather than sent again.
    assert.equal(text((await read)?.value), 'during');
    assert.equal(server.connections, 2);
    assert.deepEqual(await client.put('ns', 'k', 'after'), { generation: 3 });
  } finally {
    await client.close();
    await server.close();
  }
});

test('calls made while reconnecting wait and are sent once the server is back', async () => {
  const server = await FakeServer.start();
  const port = server.port;
  const client = await connect(server.url, fastReconnect);
  await server.close();
  // Let the client see the drop: a write sent on a socket that is dying fails with ConnectionLost.
  await new Promise((resolve) => setTimeout(resolve, 30));
  const put = client.put('ns', 'k', 'queued');
  const get = client.get('ns', 'k');
  await new Promise((resolve) => setTimeout(resolve, 60));
  const restarted = await FakeServer.start(port);
  try {
    assert.deepEqual(await put, { generation: 1 });
    assert.equal(text((await get)?.value), 'queued');
  } finally {
    await client.close();
    await restarted.close();
  }
});

test('a request without a response fails with Timeout; a late response is ignored', async () => {
  const server = await FakeServer.start();
  const client = await connect(server.url, { requestTimeoutMs: 50 });
  try {
    server.holding = true;
    await rejectsWith(client.get('ns', 'k'), 'Timeout');
    server.release();
    assert.equal(await client.get('ns', 'k'), null);
  } finally {
    await client.close();
    await server.close();
  }
});

test('close() fails pending requests and every later call with ClientClosed', async () => {
  const server = await FakeServer.start();
  const client = await connect(server.url);
  server.holding = true;
  const pending = client.get('ns', 'k');
  await until(() => server.framesReceived === 1);
  const pendingFailed = rejectsWith(pending, 'ClientClosed');
  await client.close();
  await pendingFailed;
  await rejectsWith(client.get('ns', 'k'), 'ClientClosed');
  await client.close(); // twice is fine
  await server.close();
});

test('without reconnect, a drop fails everything with ConnectionLost', async () => {
  const server = await FakeServer.start();
  const client = await connect(server.url, { reconnect: false });
  try {
    server.holding = true;
    const read = client.get('ns', 'k');
    await until(() => server.framesReceived === 1);
    server.dropConnections();
    await rejectsWith(read, 'ConnectionLost');
    await rejectsWith(client.get('ns', 'k'), 'ClientClosed');
  } finally {
    await client.close();
    await server.close();
  }
});

test('a server sending an invalid frame is dropped; the read is sent again', async () => {
  const server = await FakeServer.start();
  const client = await connect(server.url, fastReconnect);
  try {
    await client.put('ns', 'k', 'value');
    server.garbageOnce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    assert.equal(text((await client.get('ns', 'k'))?.value), 'value');
    assert.equal(server.connections, 2);
  } finally {
    await client.close();
    await server.close();
  }
});

test('calls past requestsInFlightMax wait in the queue instead of failing', async () => {
  const server = await FakeServer.start();
  const client = await connect(server.url, { requestsInFlightMax: 1 });
  try {
    server.holding = true;
    const first = client.get('ns', 'a');
    await until(() => server.framesReceived === 1);
    // A later turn: these cannot join the first frame, and the window (1) is full.
    const second = client.get('ns', 'b');
    const third = client.put('ns', 'c', 'v');
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(server.framesReceived, 1, 'nothing sent past the window');
    server.release();
    assert.equal(await first, null);
    // The two queued calls leave together in one frame once the first is answered.
    assert.deepEqual(await Promise.all([second, third]), [null, { generation: 1 }]);
    assert.equal(server.framesReceived, 2);
  } finally {
    await client.close();
    await server.close();
  }
});

test('past queueBytesMax a call fails at once with QueueFull, naming the bound', async () => {
  const server = await FakeServer.start();
  const client = await connect(server.url, { requestsInFlightMax: 1, queueBytesMax: 4096 });
  try {
    server.holding = true;
    const first = client.put('ns', 'a', 'x'.repeat(100));
    await until(() => server.framesReceived === 1);
    const waiting = client.put('ns', 'b', 'x'.repeat(3000));
    await assert.rejects(client.put('ns', 'c', 'x'.repeat(3000)), (error: unknown) => {
      assert.ok(error instanceof TesseraError);
      assert.equal(error.status, 'QueueFull');
      assert.equal(error.code, clientErrorCodes.QueueFull);
      assert.match(error.message, /^put ns\/c: QueueFull: \d+ bytes \(1 calls\) are waiting to be sent, and queueBytesMax is 4096/);
      return true;
    });
    server.release();
    assert.deepEqual(await first, { generation: 1 });
    assert.deepEqual(await waiting, { generation: 1 });
  } finally {
    await client.close();
    await server.close();
  }
});

test('calls made in one turn leave in one frame (auto-pipelining)', async () => {
  const server = await FakeServer.start();
  const client = await connect(server.url);
  try {
    const before = server.framesReceived;
    const writes = Array.from({ length: 300 }, (_, index) => client.put('ns', `k${index}`, `v${index}`));
    const reads = Array.from({ length: 20 }, (_, index) => client.get('ns', `k${index}`));
    const generations = await Promise.all(writes);
    const values = await Promise.all(reads);
    assert.equal(server.framesReceived - before, 1, 'one frame for 320 calls');
    assert.ok(generations.every((result) => result.generation === 1));
    assert.deepEqual(values.map((value) => text(value?.value)), Array.from({ length: 20 }, (_, index) => `v${index}`));
    // More than 1024 ops: split into frames of at most 1024 ops.
    const many = Array.from({ length: 2500 }, (_, index) => client.put('ns', `m${index}`, 'v'));
    const manyBefore = server.framesReceived;
    await Promise.all(many);
    assert.equal(server.framesReceived - manyBefore, 3);
  } finally {
    await client.close();
    await server.close();
  }
});
