// A subscriber on a relay thread that stops reading: its unread output grows by published frames
// only (no send of the front's), which the front sees through the I/O thread's timed reports of the
// sockets it watches (io-worker.ts #watched). The front must still switch it to catch-up, as it
// does a slow subscriber on its own thread (subscriptions/slow-subscriber-e2e.test.ts).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect as connectTcp, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { encodeRequest } from '../../codec';
import { spawnServer, testConfig, type ServerProcess } from '../server-process.fixture';

let server: ServerProcess;
const subscriberBackpressureBytes = 1024 * 1024;
const writes = 200;
const valueBytes = 60 * 1024;

before(async () => {
  server = await spawnServer({ config: testConfig({ limits: { subscriberBackpressureBytes, backpressureBytesMax: 16 * 1024 * 1024, busyBackpressureBytes: 8 * 1024 * 1024 } }), args: ['--io-threads', '2'] });
});

after(async () => {
  await server?.stop();
});

interface RelayStatus {
  connections: number;
}

async function relayThread(): Promise<RelayStatus> {
  const status = (await (await fetch(`${server.httpUrl}/status`)).json()) as { ioThreads: RelayStatus[] };
  assert.equal(status.ioThreads.length, 2);
  return status.ioThreads[1] as RelayStatus;
}

/** A client frame: binary, masked, as RFC 6455 asks of a client. */
function clientFrame(payload: Uint8Array): Buffer {
  assert.ok(payload.length < 65536);
  const mask = randomBytes(4);
  const head = payload.length < 126 ? Buffer.from([0x82, 0x80 | payload.length]) : Buffer.from([0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, mask, Buffer.from(payload.map((byte, index) => byte ^ (mask[index % 4] as number)))]);
}

/** A raw WebSocket (so that it can stop reading), upgraded; resolves on the 101. */
function openRawWebSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(server.port, '127.0.0.1', () => {
      socket.write(`GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.once('error', reject);
    socket.once('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`upgrade refused: ${chunk.toString('latin1').split('\r\n')[0]}`));
    });
  });
}

/** Opens raw WebSockets one at a time until one lands on the relay thread (at most 64). */
async function rawWebSocketOnRelay(): Promise<Socket> {
  for (let attempt = 0; attempt < 64; attempt++) {
    const before = (await relayThread()).connections;
    const socket = await openRawWebSocket();
    const deadline = Date.now() + 2000;
    let after = before;
    while (after === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = (await relayThread()).connections;
    }
    if (after > before) return socket;
    socket.destroy();
  }
  assert.fail('64 connections, none on the relay thread');
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  assert.ok(line !== undefined, `${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

test('a relay-thread subscriber that stops reading is switched to catch-up; the node stays healthy', async () => {
  const subscriber = await rawWebSocketOnRelay();
  subscriber.write(clientFrame(encodeRequest(1, [{ op: 'subscribe', subId: 1, ns: 'content', prefix: Buffer.from('slow/') }])));
  await new Promise((resolve) => setTimeout(resolve, 100));
  subscriber.pause();
  const before = metric(await (await fetch(`${server.httpUrl}/metrics`)).text(), 'tessera_subscriber_catch_ups_total');
  const value = Buffer.alloc(valueBytes, 0x78);
  // 200 × 60 KiB published past a reader that reads nothing: far past subscriberBackpressureBytes.
  for (let index = 0; index < writes; index++) {
    const response = await fetch(`${server.httpUrl}/v1/content/slow/${index % 50}`, { method: 'PUT', body: value });
    assert.ok(response.status === 200 || response.status === 201, `PUT answered ${response.status}`);
  }
  const deadline = Date.now() + 5000;
  let caughtUp = before;
  while (caughtUp === before && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    caughtUp = metric(await (await fetch(`${server.httpUrl}/metrics`)).text(), 'tessera_subscriber_catch_ups_total');
  }
  assert.equal(caughtUp, before + 1, 'the subscriber was switched to catch-up once');
  const status = (await (await fetch(`${server.httpUrl}/status`)).json()) as { state: string; bufferedOutputBytes: number };
  assert.equal(status.state, 'running');
  subscriber.destroy();
});
