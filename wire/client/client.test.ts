// The client against a fake server: every method, typed errors, batches in one frame, pipelining.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { Status } from '../../engine/layout/status';
import type { WireOp } from '../codec/wire-types';
import { connect, type Client } from './client';
import { TesseraError } from './tessera-error';
import { FakeServer } from './fake-server.fixture';

let server: FakeServer;
let client: Client;
const text = (bytes: Uint8Array | null | undefined): string => new TextDecoder().decode(bytes ?? undefined);

before(async () => {
  server = await FakeServer.start();
  client = await connect(server.url);
});

after(async () => {
  await client.close();
  await server.close();
});

async function rejectsWith(promise: Promise<unknown>, status: string, code: number): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TesseraError, `a TesseraError, not ${String(error)}`);
    assert.equal(error.status, status);
    assert.equal(error.code, code);
    return true;
  });
}

test('put, get, head, touch, delete', async () => {
  assert.equal(await client.get('articles', 'a/1'), null);
  assert.equal(await client.head('articles', 'a/1'), null);
  assert.deepEqual(await client.put('articles', 'a/1', '<p>one</p>', { contentType: 'text/html' }), { generation: 1 });
  const got = await client.get('articles', 'a/1');
  assert.ok(got !== null);
  assert.equal(text(got.value), '<p>one</p>');
  assert.deepEqual({ ...got, value: null }, { value: null, generation: 1, expiry: 0, lastModified: 1_767_225_600_000, contentType: 'text/html' });
  assert.deepEqual(await client.head('articles', Uint8Array.from(new TextEncoder().encode('a/1'))), {
    generation: 1,
    expiry: 0,
    lastModified: 1_767_225_600_000,
    contentType: 'text/html',
  });
  assert.deepEqual(await client.put('articles', 'a/1', Uint8Array.of(1, 2), { ifGeneration: 1 }), { generation: 2 });
  assert.equal((await client.touch('articles', 'a/1', 60))?.expiry, 2_000_000_000);
  assert.equal(await client.touch('articles', 'nothing', 60), null);
  assert.equal(await client.delete('articles', 'a/1'), true);
  assert.equal(await client.delete('articles', 'a/1'), false);
});

test('failures throw TesseraError with the status name and code', async () => {
  await client.put('articles', 'cas', 'v1');
  await rejectsWith(client.put('articles', 'cas', 'v2', { ifGeneration: 7 }), 'GenerationMismatch', Status.GenerationMismatch);
  await rejectsWith(client.put('articles', 'cas', 'v2', { mode: 'create' }), 'AlreadyExists', Status.AlreadyExists);
  await rejectsWith(client.put('articles', 'nope', 'v', { mode: 'update' }), 'NotFound', Status.NotFound);
  await rejectsWith(client.delete('articles', 'cas', { ifGeneration: 9 }), 'GenerationMismatch', Status.GenerationMismatch);
  await rejectsWith(client.scan('articles', { cursor: 'not-a-cursor' }), 'InvalidCursor', Status.InvalidCursor);
});

test('bad arguments are refused in the client, without a frame', async () => {
  const frames = server.framesReceived;
  await rejectsWith(client.put('articles', 'k', 'v', { ttl: -5 }), 'InvalidArgument', Status.InvalidArgument);
  await rejectsWith(client.get('articles', ''), 'InvalidKey', Status.InvalidKey);
  await rejectsWith(client.scan('articles', { limit: 5000 }), 'InvalidArgument', Status.InvalidArgument);
  assert.equal(server.framesReceived, frames);
});

test('a refused request (too many ops) throws its status', async () => {
  const ops = new Array<WireOp>(1025).fill({ op: 'get', ns: 'articles', key: 'k' });
  await rejectsWith(client.batch(ops as { op: 'get'; ns: string; key: string }[]), 'TooManyOps', Status.TooManyOps);
});

test('batch: one frame, one result per op in order, per-op failures as results', async () => {
  await client.put('batch', 'x', 'x-value');
  const frames = server.framesReceived;
  const results = await client.batch([
    { op: 'put', ns: 'batch', key: 'y', value: 'y-value' },
    { op: 'get', ns: 'batch', key: 'x' },
    { op: 'get', ns: 'batch', key: 'missing' },
    { op: 'put', ns: 'batch', key: 'x', value: 'no', mode: 'create' },
    { op: 'scan', ns: 'batch' },
  ]);
  assert.equal(server.framesReceived, frames + 1);
  assert.deepEqual(results.map((result) => result.status), ['Ok', 'Ok', 'NotFound', 'AlreadyExists', 'Ok']);
  assert.equal(results[0]?.created, true);
  assert.equal(text(results[1]?.value), 'x-value');
  assert.equal(results[3]?.code, Status.AlreadyExists);
  assert.deepEqual(results[4]?.records.map((record) => text(record.key)), ['x', 'y']);
});

test('scan pages with a cursor', async () => {
  for (let index = 0; index < 5; index++) await client.put('pages', `k${index}`, `v${index}`);
  const first = await client.scan('pages', { limit: 2 });
  assert.deepEqual(first.records.map((record) => text(record.key)), ['k0', 'k1']);
  assert.equal(first.cursor, '2');
  const rest = await client.scan('pages', { limit: 10, cursor: first.cursor ?? undefined });
  assert.deepEqual(rest.records.map((record) => text(record.value)), ['v2', 'v3', 'v4']);
  assert.equal(rest.cursor, null);
  const empty = await client.scan('no-such-namespace-in-the-fake');
  assert.equal(empty.records.length, 0);
  assert.equal(empty.cursor, null);
  // The page is the caller's to change (the codec's shared empty list is frozen).
  empty.records.push({ key: Uint8Array.of(1), value: null, generation: 1, expiry: 0, lastModified: 0, contentType: '' });
});

test('pipelining: many requests in flight, answered out of order, matched by id', async () => {
  for (let index = 0; index < 50; index++) await client.put('pipe', `k${index}`, `v${index}`);
  server.holding = true;
  const gets = Array.from({ length: 50 }, (_, index) => client.get('pipe', `k${index}`));
  while (server.framesReceived < 50 + 5) await new Promise((resolve) => setTimeout(resolve, 5));
  server.release();
  const values = await Promise.all(gets);
  assert.deepEqual(values.map((value) => text(value?.value)), Array.from({ length: 50 }, (_, index) => `v${index}`));
});

test('auto-pipelining: the calls of one turn leave in one frame; autoPipelining false sends one frame per call', async () => {
  for (let index = 0; index < 8; index++) await client.put('auto', `k${index}`, `v${index}`);
  const single = await connect(server.url, { autoPipelining: false });
  try {
    for (const [each, framesPerTurn] of [
      [client, 1],
      [single, 8],
    ] as const) {
      const before = server.framesReceived;
      const values = await Promise.all(Array.from({ length: 8 }, (_, index) => each.get('auto', `k${index}`)));
      assert.deepEqual(values.map((value) => text(value?.value)), Array.from({ length: 8 }, (_, index) => `v${index}`));
      assert.equal(server.framesReceived - before, framesPerTurn);
    }
    // A batch is one call: one frame either way.
    const before = server.framesReceived;
    const results = await single.batch([{ op: 'get', ns: 'auto', key: 'k0' }, { op: 'get', ns: 'auto', key: 'k1' }]);
    assert.deepEqual(results.map((result) => text(result.value)), ['v0', 'v1']);
    assert.equal(server.framesReceived - before, 1);
  } finally {
    await single.close();
  }
});

test('connect refuses an autoPipelining that is not a boolean', async () => {
  await assert.rejects(connect(server.url, { autoPipelining: 'yes' as unknown as boolean }), /options\.autoPipelining must be a boolean/);
});
