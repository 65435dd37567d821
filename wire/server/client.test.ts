// End to end through a real server process: every call of the WebSocket client (wire/client).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type Client } from '../client';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';
import { rejectsWith } from '../client/rejects-with.fixture';

let server: ServerProcess;
let client: Client;
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array(0)).toString();

before(async () => {
  server = await spawnServer({ config: testConfig() });
  client = await connect(server.wsUrl, { reconnect: false });
});

after(async () => {
  await client?.close();
  await server?.stop();
});


test('put, get, head, touch, delete', async () => {
  const { generation } = await client.put('content', 'client/a', 'alpha', { contentType: 'text/plain', ttl: 0 });
  assert.equal(generation, 1);
  const record = await client.get('content', 'client/a');
  assert.equal(text(record?.value), 'alpha');
  assert.equal(record?.contentType, 'text/plain');
  assert.equal(record?.expiry, 0);
  const head = await client.head('content', 'client/a');
  assert.equal(head?.generation, 1);
  const touched = await client.touch('content', 'client/a', 300);
  assert.ok((touched?.expiry ?? 0) >= Math.floor(Date.now() / 1000) + 299);
  assert.equal((await client.put('content', 'client/a', 'beta', { ifGeneration: 1 })).generation, 2);
  await rejectsWith(client.put('content', 'client/a', 'gamma', { ifGeneration: 1 }), 'GenerationMismatch');
  await rejectsWith(client.put('content', 'client/a', 'gamma', { mode: 'create' }), 'AlreadyExists');
  await rejectsWith(client.delete('content', 'client/a', { ifGeneration: 1 }), 'GenerationMismatch');
  assert.equal(await client.delete('content', 'client/a', { ifGeneration: 2 }), true);
  assert.equal(await client.delete('content', 'client/a'), false);
  assert.equal(await client.get('content', 'client/a'), null);
  assert.equal(await client.head('content', 'client/a'), null);
  assert.equal(await client.touch('content', 'client/a', 10), null);
});

test('typed errors for limits the server enforces', async () => {
  await rejectsWith(client.get('nowhere', 'x'), 'UnknownNamespace');
  await rejectsWith(client.put('content', 'k'.repeat(257), 'x'), 'KeyTooLarge');
  await rejectsWith(client.put('content', 'client/big', new Uint8Array(64 * 1024 + 1)), 'ValueTooLarge');
  await rejectsWith(client.put('content', 'client/update', 'x', { mode: 'update' }), 'NotFound');
});

test('batch: one result per op, failures as results', async () => {
  const results = await client.batch([
    { op: 'put', ns: 'content', key: 'client/batch/1', value: 'one' },
    { op: 'put', ns: 'content', key: 'client/batch/2', value: 'two' },
    { op: 'get', ns: 'content', key: 'client/batch/1' },
    { op: 'get', ns: 'nowhere', key: 'x' },
    { op: 'scan', ns: 'content', prefix: 'client/batch/', limit: 10 },
  ]);
  assert.deepEqual(results.map((result) => result.status), ['Ok', 'Ok', 'Ok', 'UnknownNamespace', 'Ok']);
  assert.equal(text(results[2]?.value), 'one');
  assert.deepEqual(results[4]?.records.map((record) => text(record.key)).sort(), ['client/batch/1', 'client/batch/2']);
});

test('scan pages until the cursor is null', async () => {
  for (let index = 0; index < 12; index++) await client.put('content', `client/scan/${index}`, `${index}`);
  const keys: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 20; pages++) {
    const page = await client.scan('content', { prefix: 'client/scan/', limit: 5, ...(cursor === undefined ? {} : { cursor }) });
    keys.push(...page.records.map((record) => text(record.key)));
    if (page.cursor === null) break;
    cursor = page.cursor;
  }
  assert.equal(keys.length, 12);
  assert.equal(new Set(keys).size, 12);
});

test('what the client wrote, HTTP reads (one store, two transports)', async () => {
  await client.put('content', 'client/both', 'shared', { contentType: 'text/plain' });
  const response = await fetch(`${server.httpUrl}/v1/content/client/both`);
  assert.equal(await response.text(), 'shared');
  assert.match(response.headers.get('etag') ?? '', /^"\d+-1"$/);
  assert.equal(response.headers.get('tessera-generation'), '1');
});

test('values of every size come back whole, and a kept value holds at most an 8 KiB slab or its own bytes', async () => {
  const sizes = [1, 100, 1000, 4096, 4097, 20_000, 64 * 1024];
  const valueOf = (size: number): Uint8Array => new Uint8Array(size).map((_, index) => (index * 7 + size) % 256);
  await Promise.all(sizes.map((size) => client.put('content', `client/size-${size}`, valueOf(size))));
  // One turn: the gets leave in one frame, whose answer spans several socket reads.
  const kept = await Promise.all(sizes.map((size) => client.get('content', `client/size-${size}`)));
  for (let round = 0; round < 20; round++) await client.put('content', `client/churn-${round}`, valueOf(5000));
  sizes.forEach((size, index) => {
    const value = kept[index]?.value;
    assert.ok(value !== undefined);
    assert.deepEqual(value, valueOf(size), `size ${size}`);
    assert.equal(Object.getPrototypeOf(value), Uint8Array.prototype);
    assert.ok(value.buffer.byteLength <= 8 * 1024 || value.buffer.byteLength === value.byteLength, `size ${size} holds ${value.buffer.byteLength} bytes`);
  });
  const page = await client.scan('content', { prefix: 'client/size-', values: true });
  assert.equal(page.records.length, sizes.length);
  for (const record of page.records) assert.deepEqual(record.value, valueOf(Number(text(record.key).slice('client/size-'.length))));
});
