import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutputBudget, UnreadSample, offendersToClose, type OutputHolder } from './output-budget';

const of = (sizes: number[], stalled = true): { id: number; bufferedBytes: number; stalled: boolean }[] => sizes.map((bufferedBytes, id) => ({ id, bufferedBytes, stalled }));

test('offendersToClose: nothing within budget', () => {
  assert.deepEqual(offendersToClose(of([10, 20, 30]), 60), []);
  assert.deepEqual(offendersToClose([], 0), []);
});

test('offendersToClose: the largest first, only as many as needed', () => {
  assert.deepEqual(offendersToClose(of([10, 50, 30, 5]), 60).map((c) => c.id), [1]);
  assert.deepEqual(offendersToClose(of([10, 50, 30, 5]), 20).map((c) => c.id), [1, 2]);
  assert.deepEqual(offendersToClose(of([10, 50, 30, 5]), 0).map((c) => c.id), [1, 2, 0, 3]);
});

test('offendersToClose: stalled holders go first (largest first), a reading one only if they are not enough', () => {
  // A reader just handed a large body (id 0, not stalled) and three stalled non-readers.
  const holders = [{ id: 0, bufferedBytes: 80, stalled: false }, ...of([30, 20, 10]).map((holder) => ({ ...holder, id: holder.id + 1 }))];
  assert.deepEqual(offendersToClose(holders, 100).map((c) => c.id), [1, 2]);
  assert.deepEqual(offendersToClose(holders, 50).map((c) => c.id), [1, 2, 3, 0]);
});

test('UnreadSample: stalled once output held at the last sweep did not go down; new holders get an interval', () => {
  const sample = new UnreadSample();
  sample.sample(100);
  assert.equal(sample.stalled, false, 'first seen: not stalled yet');
  sample.sample(100);
  assert.equal(sample.stalled, true, 'nothing read');
  sample.sample(120);
  assert.equal(sample.stalled, true, 'more added than read');
  sample.sample(40);
  assert.equal(sample.stalled, false, 'read');
  sample.sample(0);
  assert.equal(sample.stalled, false, 'all read');
  sample.sample(50);
  assert.equal(sample.stalled, false, 'nothing held at the last sweep: nothing to read then');
});

/** A source with fixed holders; closing one takes its bytes out, as a closed connection does. */
function fakeSource(kind: 'websocket' | 'http', sizes: number[], closed: string[]) {
  const holders = sizes.map((bufferedBytes, index) => ({
    kind,
    id: index,
    bufferedBytes,
    stalled: true,
    closeForOutput(): void {
      closed.push(`${kind}:${index}`);
      this.bufferedBytes = 0;
    },
  }));
  return {
    get bufferedBytes(): number {
      return holders.reduce((sum, holder) => sum + holder.bufferedBytes, 0);
    },
    get connections(): number {
      return holders.filter((holder) => holder.bufferedBytes > 0).length;
    },
    refresh(): number {
      return this.bufferedBytes;
    },
    collect(into: OutputHolder[]): void {
      into.push(...holders);
    },
  };
}

test('OutputBudget: one budget over WebSockets and HTTP responses, the largest of either kind closed first', () => {
  const closed: string[] = [];
  const warnings: string[] = [];
  const budget = new OutputBudget({ maxBufferedOutputBytes: 100, maxConnections: 5 }, { warn: (_fields, message) => warnings.push(message) });
  budget.addSource(fakeSource('websocket', [30, 10], closed));
  budget.addSource(fakeSource('http', [80, 5], closed));
  assert.equal(budget.bufferedBytes, 125);
  assert.equal(budget.over, true);
  assert.equal(budget.connections, 4);
  assert.equal(budget.full, false);
  budget.sweep();
  assert.deepEqual(closed, ['http:0']);
  assert.equal(warnings.length, 1);
  assert.equal(budget.bufferedBytes, 45);
  assert.equal(budget.over, false);
  budget.sweep();
  assert.deepEqual(closed, ['http:0'], 'within budget nothing more is closed');
});

test('OutputBudget: full once the connections of every source reach maxConnections', () => {
  const budget = new OutputBudget({ maxBufferedOutputBytes: 1000, maxConnections: 3 }, { warn: () => undefined });
  budget.addSource(fakeSource('websocket', [1, 1], []));
  assert.equal(budget.full, false);
  budget.addSource(fakeSource('http', [1], []));
  assert.equal(budget.full, true);
});
