import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { WireOp } from '../codec/wire-types';
import { CallQueue, type FrameBounds, type PendingCall } from './call-queue';
import { TesseraError } from './tessera-error';

let sequence = 0;
const bounds: FrameBounds = { opsMax: 4, bytesMax: 100, heavyOpsMax: 2, callsMax: Number.POSITIVE_INFINITY };

function call(name: string, options: { seq?: number; ops?: number; bytes?: number; heavy?: boolean; alone?: boolean; deadlineMs?: number } = {}, outcomes?: Map<string, string>): PendingCall & { name: string } {
  const op: WireOp = options.heavy === true ? { op: 'get', ns: 'ns', key: name } : { op: 'put', ns: 'ns', key: name, value: 'v' };
  const count = options.ops ?? 1;
  sequence += 1;
  return {
    seq: options.seq ?? sequence,
    name,
    ops: new Array<WireOp>(count).fill(op),
    readOnly: options.heavy === true,
    alone: options.alone === true,
    bytes: options.bytes ?? 10,
    heavyOps: options.heavy === true ? count : 0,
    deadlineMs: options.deadlineMs ?? 1000,
    resolve: () => outcomes?.set(name, 'resolved'),
    reject: (error) => outcomes?.set(name, error.status),
  };
}

const names = (calls: PendingCall[]): string[] => calls.map((each) => (each as PendingCall & { name: string }).name);

test('a frame takes the oldest calls up to the op, byte and heavy-op bounds', () => {
  const queue = new CallQueue(1000);
  for (const each of [call('a'), call('b', { ops: 2 }), call('c'), call('d')]) assert.ok(queue.push(each));
  assert.deepEqual(names(queue.takeFrame(bounds)), ['a', 'b', 'c']); // 4 ops
  assert.deepEqual(names(queue.takeFrame(bounds)), ['d']);
  assert.equal(queue.size, 0);
  assert.equal(queue.bytes, 0);
  for (const each of [call('e', { bytes: 60 }), call('f', { bytes: 60 })]) queue.push(each);
  assert.deepEqual(names(queue.takeFrame(bounds)), ['e']); // 120 bytes would pass 100
  assert.deepEqual(names(queue.takeFrame(bounds)), ['f']);
  for (const each of [call('g', { heavy: true }), call('h', { heavy: true }), call('i', { heavy: true })]) queue.push(each);
  assert.deepEqual(names(queue.takeFrame(bounds)), ['g', 'h']);
  assert.deepEqual(names(queue.takeFrame(bounds)), ['i']);
  // Larger than every bound: goes alone rather than never.
  queue.push(call('big', { ops: 9, bytes: 500 }));
  queue.push(call('j'));
  assert.deepEqual(names(queue.takeFrame(bounds)), ['big']);
  assert.deepEqual(names(queue.takeFrame(bounds)), ['j']);
  assert.deepEqual(queue.takeFrame(bounds), []);
});

test('a call marked alone gets a frame of its own', () => {
  const queue = new CallQueue(1000);
  for (const each of [call('a'), call('sub', { alone: true }), call('b'), call('c')]) queue.push(each);
  assert.deepEqual(names(queue.takeFrame(bounds)), ['a']);
  assert.deepEqual(names(queue.takeFrame(bounds)), ['sub']);
  assert.deepEqual(names(queue.takeFrame(bounds)), ['b', 'c']);
});

test('the byte bound refuses a call, but never the first; putBack goes past the bound', () => {
  const queue = new CallQueue(100);
  assert.ok(queue.push(call('huge', { bytes: 500 })), 'an empty queue takes any one call');
  assert.equal(queue.push(call('next', { bytes: 1 })), false);
  const taken = queue.takeFrame(bounds);
  assert.ok(queue.push(call('a', { bytes: 60 })));
  assert.equal(queue.push(call('b', { bytes: 60 })), false);
  queue.putBack(taken);
  assert.equal(queue.bytes, 560);
  assert.deepEqual(names(queue.takeFrame(bounds)), ['huge']);
  assert.deepEqual(names(queue.takeFrame(bounds)), ['a']);
});

test('calls put back from several frames, in any order, rejoin in call order', () => {
  const queue = new CallQueue(1000);
  for (const seq of [1, 2, 3, 4, 5, 6]) queue.push(call(`c${seq}`, { seq }));
  const first = queue.takeFrame({ ...bounds, opsMax: 2 });
  const second = queue.takeFrame({ ...bounds, opsMax: 2 });
  queue.push(call('c7', { seq: 7 }));
  queue.putBack(second);
  queue.putBack(first);
  assert.deepEqual(names(queue.takeFrame({ ...bounds, opsMax: 10 })), ['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7']);
});

test('expire fails calls past their deadline, oldest first; rejectAll fails the rest', () => {
  const outcomes = new Map<string, string>();
  const queue = new CallQueue(1000);
  for (const [name, deadlineMs] of [['a', 10], ['b', 20], ['c', 30]] as const) queue.push(call(name, { deadlineMs }, outcomes));
  queue.expire(20);
  assert.deepEqual([...outcomes], [['a', 'Timeout'], ['b', 'Timeout']]);
  assert.equal(queue.size, 1);
  assert.equal(queue.bytes, 10);
  queue.rejectAll(TesseraError.client('ClientClosed'));
  assert.equal(outcomes.get('c'), 'ClientClosed');
  assert.equal(queue.size, 0);
});

test('100 000 pushes and takes stay linear (the head moves, the array is compacted)', () => {
  const queue = new CallQueue(Number.MAX_SAFE_INTEGER);
  for (let index = 0; index < 100_000; index++) queue.push(call(String(index)));
  let frames = 0;
  let taken = 0;
  while (queue.size > 0 && frames < 100_000) {
    taken += queue.takeFrame({ opsMax: 1024, bytesMax: 1 << 20, heavyOpsMax: 64, callsMax: Number.POSITIVE_INFINITY }).length;
    frames += 1;
  }
  assert.equal(taken, 100_000);
  assert.equal(frames, Math.ceil(100_000 / 1024));
});

test('callsMax 1 (no auto-pipelining): one call per frame, a batch still whole', () => {
  const queue = new CallQueue(1000);
  for (const each of [call('a'), call('b', { ops: 3 }), call('c')]) queue.push(each);
  const single = { ...bounds, callsMax: 1 };
  assert.deepEqual(names(queue.takeFrame(single)), ['a']);
  assert.deepEqual(names(queue.takeFrame(single)), ['b']);
  assert.deepEqual(names(queue.takeFrame(single)), ['c']);
  assert.equal(queue.size, 0);
});
