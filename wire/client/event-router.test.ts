import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { EventFrame } from '../codec/wire-types';
import { EventRouter } from './event-router';

const event = (subId: number): EventFrame => ({ type: 'event', subId, change: { gap: true, oldestLsn: 1 } });

test('events reach the handler of their subscription id, others are dropped', () => {
  const router = new EventRouter();
  const seen: number[] = [];
  router.on(1, (frame) => seen.push(frame.subId));
  router.on(2, (frame) => seen.push(frame.subId * 10));
  assert.equal(router.route(event(2)), true);
  assert.equal(router.route(event(1)), true);
  assert.equal(router.route(event(3)), false);
  assert.deepEqual(seen, [20, 1]);
  assert.throws(() => router.on(1, () => undefined), /already/);
  assert.equal(router.off(1), true);
  assert.equal(router.route(event(1)), false);
  assert.equal(router.size, 1);
});
