import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplicaAckGate } from './replication-ack-gate';

function recorder(): { log: string[]; answer: (name: string) => { release(durable: boolean, replicated?: boolean): void } } {
  const log: string[] = [];
  return { log, answer: (name) => ({ release: (durable, replicated = true) => log.push(`${name}:${durable ? 'durable' : 'failed'}:${replicated ? 'replicated' : 'not-replicated'}`) }) };
}

test('answers wait for both watermarks, in order; an answer both passed goes at once', () => {
  const gate = new ReplicaAckGate(10, 60_000);
  const { log, answer } = recorder();
  assert.equal(gate.hold(10, answer('old')), false, 'covered by both: answered at once');
  assert.equal(gate.hold(12, answer('a')), true);
  assert.equal(gate.hold(15, answer('b')), true);
  gate.advanceLocal(20);
  assert.deepEqual(log, [], 'durable here is not enough');
  gate.advanceReplicated(12);
  assert.deepEqual(log, ['a:durable:replicated']);
  gate.advanceReplicated(30);
  assert.deepEqual(log, ['a:durable:replicated', 'b:durable:replicated'], 'replicated past local: bounded by local (20)');
  assert.equal(gate.hold(25, answer('c')), true);
  gate.advanceLocal(25);
  assert.deepEqual(log.at(-1), 'c:durable:replicated');
  assert.equal(gate.heldCount, 0);
});

test('past the timeout a durable answer is released as not replicated; one not yet durable keeps waiting', async () => {
  const gate = new ReplicaAckGate(0, 20);
  const { log, answer } = recorder();
  gate.hold(1, answer('durable'));
  gate.hold(2, answer('not-durable'));
  gate.advanceLocal(1);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(log, ['durable:durable:not-replicated'], 'the second is not durable here: it waits, never NotEnoughReplicas before the disk');
  assert.equal(gate.timeouts, 1);
  gate.advanceLocal(2);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(log, ['durable:durable:not-replicated', 'not-durable:durable:not-replicated']);
  assert.equal(gate.heldCount, 0);
});

test('a failed WAL releases everything held, and every later answer, as not durable', () => {
  const gate = new ReplicaAckGate(0, 60_000);
  const { log, answer } = recorder();
  gate.hold(1, answer('a'));
  gate.fail();
  assert.equal(gate.hold(2, answer('b')), true);
  assert.deepEqual(log, ['a:failed:replicated', 'b:failed:replicated']);
});
