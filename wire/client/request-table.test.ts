import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { PendingCall } from './call-queue';
import { RequestTable, type PendingRequest } from './request-table';
import type { TesseraError } from './tessera-error';

function call(name: string, readOnly: boolean, deadlineMs: number, outcomes: Map<string, string>): PendingCall {
  return {
    seq: deadlineMs,
    ops: [readOnly ? { op: 'get', ns: 'ns', key: name } : { op: 'put', ns: 'ns', key: name, value: 'v' }],
    readOnly,
    alone: false,
    bytes: 10,
    heavyOps: readOnly ? 1 : 0,
    deadlineMs,
    resolve: () => outcomes.set(name, 'resolved'),
    reject: (error: TesseraError) => outcomes.set(name, error.status),
  };
}

function request(id: number, calls: PendingCall[]): PendingRequest {
  return { id, sentIndex: id, calls, deadlineMs: Math.min(...calls.map((each) => each.deadlineMs)) };
}

test('a drop fails the writes of every frame and hands back its reads, oldest first', () => {
  const outcomes = new Map<string, string>();
  const table = new RequestTable();
  const readA = call('a', true, 100, outcomes);
  const write = call('b', false, 100, outcomes);
  const readC = call('c', true, 100, outcomes);
  table.add(request(1, [readA, write]));
  table.add(request(2, [readC]));
  const again = table.connectionLost();
  assert.deepEqual([...outcomes], [['b', 'ConnectionLost']]);
  assert.deepEqual(again, [readA, readC]);
  assert.equal(table.size, 0);
  assert.equal(table.take(1), undefined);
});

test('expire fails requests past their deadline, oldest first, and stops at the first in time', () => {
  const outcomes = new Map<string, string>();
  const table = new RequestTable();
  for (const [id, deadline] of [[1, 10], [2, 20], [3, 30]] as const) table.add(request(id, [call(`k${id}`, true, deadline, outcomes)]));
  table.expire(20);
  assert.deepEqual([...outcomes], [['k1', 'Timeout'], ['k2', 'Timeout']]);
  assert.equal(table.size, 1);
  assert.throws(() => table.add(request(3, [call('k4', true, 40, outcomes)])), /already pending/);
});
