// IoThreadHost's publisher: a published frame goes to the front's app and, as a Publish record,
// only to the I/O threads that have a subscriber on its topic. One real I/O thread (a worker
// running io-worker.js) is started in-process on a port of its own, without a server: the routes
// are a RouteTable over a stand-in app, and the records posted to the thread are watched by
// wrapping Worker.prototype.postMessage. A real WebSocket client connects to the thread.

import { strict as assert } from 'node:assert';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import type { TemplatedApp, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import WebSocketClient from 'ws';
import { IoThreadHost } from './io-thread-host';
import { DownRecord, RelayReader, RelayWriter } from './relay-codec';
import { RouteTable } from './route-table';

/** Every wait below polls at most this long: a missing record fails the test rather than hanging it. */
const waitMs = 5_000;

interface PublishRecord {
  topic: string;
  isBinary: boolean;
  bytes: number[];
}

/** The Publish records among the Down records of one posted batch (the other kinds are skipped). */
function publishesIn(buffer: ArrayBuffer): PublishRecord[] {
  const reader = new RelayReader(buffer);
  const found: PublishRecord[] = [];
  while (!reader.done) {
    const kind = reader.u8() as DownRecord;
    switch (kind) {
      case DownRecord.Publish: {
        const topic = reader.string();
        const isBinary = reader.u8() === 1;
        found.push({ topic, isBinary, bytes: [...reader.bytes()] });
        break;
      }
      case DownRecord.Accept:
        reader.u32();
        reader.string();
        reader.string();
        reader.bytes();
        break;
      case DownRecord.Send:
        reader.u32();
        reader.u8();
        reader.bytes();
        break;
      case DownRecord.Subscribe:
      case DownRecord.Unsubscribe:
        reader.u32();
        reader.string();
        break;
      case DownRecord.End:
        reader.u32();
        reader.u32();
        reader.string();
        break;
      case DownRecord.CloseNow:
        reader.u32();
        break;
      default:
        throw new Error(`an unexpected record ${kind as number} (this test makes no HTTP request)`);
    }
  }
  return found;
}

const posted: PublishRecord[] = [];
const originalPostMessage = Worker.prototype.postMessage;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The front's sockets by the name their client gives in the url's query. */
const frontSockets = new Map<string, WebSocket<{ name: string }>>();
const appPublishes: string[] = [];
const appStandIn = {
  ws(): unknown {
    return appStandIn;
  },
  publish(topic: string): boolean {
    appPublishes.push(topic);
    return false; // No subscriber on the front: only the I/O thread can deliver.
  },
};

const host = new IoThreadHost(pino({ level: 'silent' }));
let port = 0;

before(async () => {
  Worker.prototype.postMessage = function spy(this: Worker, message: unknown, transfer?: readonly unknown[]): void {
    // Decoded before the post: the buffer is transferred (detached) by it.
    if (message instanceof ArrayBuffer) posted.push(...publishesIn(message.slice(0)));
    originalPostMessage.call(this, message, transfer as never);
  };
  const routes = new RouteTable();
  const behavior: WebSocketBehavior<{ name: string }> = {
    upgrade: (res, req, context) => {
      const name = req.getQuery('name') ?? '';
      res.upgrade({ name }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
    },
    open: (ws) => {
      frontSockets.set(ws.getUserData().name, ws);
      ws.subscribe('shared');
    },
    close: (ws) => {
      frontSockets.delete(ws.getUserData().name);
    },
  };
  routes.recording(appStandIn as unknown as TemplatedApp).ws('/ws', behavior as WebSocketBehavior<unknown>);
  port = await freePort();
  await host.start({ extraThreads: 1, host: '127.0.0.1', port, tls: null, routes, localReads: null });
});

after(async () => {
  await host.close();
  Worker.prototype.postMessage = originalPostMessage;
});

interface Client {
  socket: WebSocketClient;
  received: string[];
}

/** A client on the I/O thread (the only listener on the port), open on the front as well. */
async function connect(name: string): Promise<Client> {
  const socket = new WebSocketClient(`ws://127.0.0.1:${port}/ws?name=${name}`);
  const received: string[] = [];
  socket.on('message', (data: Buffer) => received.push(data.toString()));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  await until(`${name} open on the front`, () => frontSockets.has(name));
  return { socket, received };
}

async function disconnect(client: Client, name: string): Promise<void> {
  client.socket.close();
  await until(`${name} closed on the front`, () => !frontSockets.has(name));
}

function publish(topic: string, text: string): boolean {
  return host.publisher(appStandIn as unknown as TemplatedApp).publish(topic, new TextEncoder().encode(text), false, false);
}

test('the publisher forwards a frame only to a thread with a subscriber on its topic', async () => {
  assert.equal(host.status().length, 2, 'the front and one I/O thread');
  const first = await connect('first');
  const second = await connect('second');
  frontSockets.get('first')?.subscribe('only-first');
  // Let the Subscribe records reach the thread before anything is published there.
  await sleep(20);
  posted.length = 0;

  assert.equal(publish('nobody', 'to no one'), false, 'no subscriber anywhere: not delivered');
  assert.equal(publish('shared', 'to both'), true);
  assert.equal(publish('only-first', 'to first'), true);
  await until('the frames delivered', () => first.received.length === 2 && second.received.length === 1);
  assert.deepEqual(appPublishes.slice(-3), ['nobody', 'shared', 'only-first'], "the front's app gets every publish");
  assert.deepEqual(posted, [
    { topic: 'shared', isBinary: false, bytes: [...new TextEncoder().encode('to both')] },
    { topic: 'only-first', isBinary: false, bytes: [...new TextEncoder().encode('to first')] },
  ], 'no Publish record for a topic nobody on the thread listens to');
  assert.deepEqual(first.received, ['to both', 'to first']);
  assert.deepEqual(second.received, ['to both']);

  // One of two subscribers leaves: the topic is still forwarded.
  await disconnect(first, 'first');
  posted.length = 0;
  assert.equal(publish('shared', 'to second'), true);
  assert.equal(publish('only-first', 'after first left'), false, "first's only topic is no longer forwarded");
  await until('the frame delivered to second', () => second.received.length === 2);
  assert.deepEqual(posted.map((record) => record.topic), ['shared']);

  // The last subscriber unsubscribes: nothing more is forwarded on the topic.
  frontSockets.get('second')?.unsubscribe('shared');
  posted.length = 0;
  assert.equal(publish('shared', 'to no one now'), false);
  await sleep(20);
  assert.deepEqual(posted, []);
  assert.deepEqual(second.received, ['to both', 'to second']);
  await disconnect(second, 'second');
});

test('status() counts the relay thread\'s open connections', async () => {
  const before = host.status()[1]?.connections ?? -1;
  const client = await connect('counted');
  const relay = host.status()[1];
  assert.equal(relay?.role, 'relay');
  assert.equal(relay?.connections, before + 1);
  await disconnect(client, 'counted');
  assert.equal(host.status()[1]?.connections, before);
});

// Keeps the writer import honest: a Publish record as the publisher writes it decodes as one.
test('publishesIn decodes a Publish record written by hand (the spy above relies on it)', () => {
  const writer = new RelayWriter();
  writer.u8(DownRecord.Subscribe).u32(1).string('t').u8(DownRecord.Publish).string('t').u8(1).bytes(new Uint8Array([7]));
  assert.deepEqual(publishesIn(writer.take()), [{ topic: 't', isBinary: true, bytes: [7] }]);
});
