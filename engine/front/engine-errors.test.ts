// Every bad input the engine can be given answers a typed status and writes nothing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Engine } from './engine';
import { Status, StatusError } from '../layout/status';

let engine: Engine;
before(async () => {
  engine = await Engine.open({ shards: 2, sweepIntervalMs: 0, namespaces: [{ name: 'content', maxKeyBytes: 32, maxValueBytes: 1024 }] });
});
after(async () => {
  await engine.close();
});

test('bad ops answer typed statuses and leave the store unchanged', async () => {
  const lsnBefore = engine.changes.lastLsn;
  const cases: [Parameters<Engine['batch']>[0][number], Status][] = [
    [{ op: 'put', ns: 'content', key: '', value: 'x' }, Status.InvalidKey],
    [{ op: 'put', ns: 'content', key: 'k'.repeat(33), value: 'x' }, Status.KeyTooLarge],
    [{ op: 'put', ns: 'content', key: 'ok', value: new Uint8Array(1025) }, Status.ValueTooLarge],
    [{ op: 'put', ns: 'nope', key: 'ok', value: 'x' }, Status.UnknownNamespace],
    [{ op: 'get', ns: 'nope', key: 'ok' }, Status.UnknownNamespace],
    [{ op: 'put', ns: 'content', key: 'ok', value: 'x', ttl: -1 }, Status.InvalidArgument],
    [{ op: 'put', ns: 'content', key: 'ok', value: 'x', ttl: 1.5 }, Status.InvalidArgument],
    [{ op: 'put', ns: 'content', key: 'ok', value: 'x', ifGeneration: -2 }, Status.InvalidArgument],
    [{ op: 'put', ns: 'content', key: 'ok', value: 'x', mode: 'sideways' as 'upsert' }, Status.InvalidArgument],
    [{ op: 'put', ns: 'content', key: 'ok', value: 'x', contentType: 'x'.repeat(256) }, Status.InvalidArgument],
    [{ op: 'touch', ns: 'content', key: 'ok', ttl: 2 ** 40 }, Status.InvalidArgument],
    [{ op: 'delete', ns: 'content', key: 'ok' }, Status.NotFound],
    [{ op: 'put', ns: 'content', key: 'ok', value: 'x', mode: 'update' }, Status.NotFound],
    [{ op: 'put', ns: 'content', key: 'ok', value: 'x', ifGeneration: 3 }, Status.NotFound],
  ];
  const results = await engine.batch(cases.map(([op]) => op));
  results.forEach((result, i) => assert.equal(Status[result.status], Status[cases[i]![1]], `case ${i}: ${JSON.stringify(cases[i]![0])}`));
  assert.equal(engine.changes.lastLsn, lsnBefore, 'no change was logged');
  assert.equal(engine.stats().namespaces[0]!.records, 0, 'nothing was written');
});

test('a batch mixing good and bad ops applies only the good ones', async () => {
  const results = await engine.batch([
    { op: 'put', ns: 'content', key: 'good', value: 'v' },
    { op: 'put', ns: 'content', key: 'bad'.repeat(20), value: 'v' },
    { op: 'get', ns: 'content', key: 'good' },
  ]);
  assert.deepEqual(results.map((result) => Status[result.status]), ['Ok', 'KeyTooLarge', 'Ok']);
  assert.equal(Buffer.from(results[2]!.value!).toString(), 'v');
});

test('generation checks: mismatch answers the current generation and writes nothing', async () => {
  const first = await engine.put('content', 'cas', 'one');
  assert.equal(first.generation, 1);
  assert.equal(first.created, true);
  const second = await engine.put('content', 'cas', 'two', { ifGeneration: 1 });
  assert.equal(second.generation, 2);
  assert.equal(second.created, false);
  const stale = await engine.put('content', 'cas', 'three', { ifGeneration: 1 });
  assert.equal(stale.status, Status.GenerationMismatch);
  assert.equal(stale.generation, 2);
  const staleDelete = await engine.delete('content', 'cas', { ifGeneration: 1 });
  assert.equal(staleDelete.status, Status.GenerationMismatch);
  assert.equal(Buffer.from((await engine.get('content', 'cas')).value!).toString(), 'two');
  assert.equal((await engine.put('content', 'cas', 'x', { mode: 'create' })).status, Status.AlreadyExists);
});

test('scan rejects bad arguments with typed errors', async () => {
  await assert.rejects(engine.scan('nope'), (error: unknown) => error instanceof StatusError && error.status === Status.UnknownNamespace);
  await assert.rejects(engine.scan('content', { limit: 0 }), (error: unknown) => error instanceof StatusError && error.status === Status.InvalidArgument);
  await assert.rejects(engine.scan('content', { limit: 100_000 }), (error: unknown) => error instanceof StatusError && error.status === Status.InvalidArgument);
  for (const cursor of ['!!', 'AAAA', Buffer.from([1, 9, 0, 0, 0, 0, 0, 65]).toString('base64url'), Buffer.from([1, 0, 7, 0, 0, 0, 0]).toString('base64url')]) {
    await assert.rejects(engine.scan('content', { cursor }), (error: unknown) => error instanceof StatusError && error.status === Status.InvalidCursor, `cursor ${cursor}`);
  }
});
