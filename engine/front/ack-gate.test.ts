import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AckGate, type HeldAnswer } from './ack-gate';

function recorder(log: string[], name: string): HeldAnswer {
  return { release: (durable) => log.push(`${name}:${durable ? 'durable' : 'failed'}`) };
}

test('an answer whose LSN is already durable goes at once; later ones wait for the watermark, in order', () => {
  const gate = new AckGate(10);
  const log: string[] = [];
  assert.equal(gate.hold(10, recorder(log, 'a')), false, 'covered: not parked');
  assert.equal(gate.hold(12, recorder(log, 'b')), true);
  assert.equal(gate.hold(12, recorder(log, 'c')), true);
  assert.equal(gate.hold(15, recorder(log, 'd')), true);
  assert.equal(gate.heldCount, 3);
  gate.advance(11);
  assert.deepEqual(log, []);
  gate.advance(12);
  assert.deepEqual(log, ['b:durable', 'c:durable']);
  gate.advance(20);
  assert.deepEqual(log, ['b:durable', 'c:durable', 'd:durable']);
  assert.equal(gate.heldCount, 0);
});

test('an answer never overtakes one parked before it, even when its own LSN is durable', () => {
  const gate = new AckGate(0);
  const log: string[] = [];
  gate.hold(5, recorder(log, 'first'));
  // The watermark is still 0, so the second is parked behind the first although it needs 0.
  assert.throws(() => gate.hold(0, recorder(log, 'older-lsn')), /must not decrease/);
  assert.equal(gate.hold(5, recorder(log, 'second')), true);
  gate.advance(5);
  assert.deepEqual(log, ['first:durable', 'second:durable']);
});

test('failure releases everything held as failed, and every later answer at once as failed', () => {
  const gate = new AckGate(0);
  const log: string[] = [];
  gate.hold(3, recorder(log, 'a'));
  gate.hold(4, recorder(log, 'b'));
  gate.fail();
  assert.deepEqual(log, ['a:failed', 'b:failed']);
  assert.equal(gate.hold(1, recorder(log, 'c')), true, 'a failed gate answers, as failed, even a covered LSN');
  assert.deepEqual(log, ['a:failed', 'b:failed', 'c:failed']);
  gate.advance(100);
  assert.equal(gate.failed, true);
  assert.equal(log.length, 3);
});

test('the watermark never moves back', () => {
  const gate = new AckGate(7);
  gate.advance(3);
  assert.equal(gate.durableLsn, 7);
});
