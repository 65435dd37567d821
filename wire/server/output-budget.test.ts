import assert from 'node:assert/strict';
import { test } from 'node:test';
import { offendersToClose } from './output-budget';

const of = (sizes: number[]): { id: number; bufferedBytes: number }[] => sizes.map((bufferedBytes, id) => ({ id, bufferedBytes }));

test('offendersToClose: nothing within budget', () => {
  assert.deepEqual(offendersToClose(of([10, 20, 30]), 60), []);
  assert.deepEqual(offendersToClose([], 0), []);
});

test('offendersToClose: the largest first, only as many as needed', () => {
  assert.deepEqual(offendersToClose(of([10, 50, 30, 5]), 60).map((c) => c.id), [1]);
  assert.deepEqual(offendersToClose(of([10, 50, 30, 5]), 20).map((c) => c.id), [1, 2]);
  assert.deepEqual(offendersToClose(of([10, 50, 30, 5]), 0).map((c) => c.id), [1, 2, 0, 3]);
});
