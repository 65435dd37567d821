import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ResponseFrame } from '../codec/wire-types';
import { RequestTable, type PendingRequest } from './request-table';
import type { TesseraError } from './tessera-error';

function request(id: number, readOnly: boolean, deadlineMs: number, outcomes: Map<number, string>): PendingRequest {
  return {
    id,
    frame: Uint8Array.of(id),
    readOnly,
    deadlineMs,
    sent: false,
    resolve: (frame: ResponseFrame) => outcomes.set(id, `resolved ${frame.id}`),
    reject: (error: TesseraError) => outcomes.set(id, error.status),
  };
}

test('a drop fails sent writes, re-queues sent reads, keeps unsent ones', () => {
  const outcomes = new Map<number, string>();
  const table = new RequestTable();
  const read = request(1, true, 100, outcomes);
  const write = request(2, false, 100, outcomes);
  const unsentWrite = request(3, false, 100, outcomes);
  for (const each of [read, write, unsentWrite]) table.add(each);
  read.sent = true;
  write.sent = true;
  table.connectionLost();
  assert.deepEqual([...outcomes], [[2, 'ConnectionLost']]);
  assert.deepEqual([...table.unsent()].map((each) => each.id), [1, 3]);
  assert.equal(table.take(2), undefined);
  assert.equal(table.take(1), read);
  assert.equal(table.size, 1);
});

test('expire fails requests past their deadline, oldest first, and stops at the first in time', () => {
  const outcomes = new Map<number, string>();
  const table = new RequestTable();
  for (const [id, deadline] of [[1, 10], [2, 20], [3, 30]] as const) table.add(request(id, true, deadline, outcomes));
  table.expire(20);
  assert.deepEqual([...outcomes], [[1, 'Timeout'], [2, 'Timeout']]);
  assert.equal(table.size, 1);
  assert.throws(() => table.add(request(3, true, 40, outcomes)), /already pending/);
});
