import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModificationStamps, stampMicroseconds } from './modification-stamps';

test('stamps grow by a microsecond within one millisecond, and round-trip through the f64', () => {
  const stamps = new ModificationStamps();
  const nowMs = 1_795_000_000_123;
  const seen = new Set<number>();
  let previous = 0;
  for (let index = 0; index < 5000; index++) {
    const stamp = stamps.next(nowMs);
    const us = stampMicroseconds(stamp);
    assert.ok(us > previous, `stamp ${index} grows`);
    assert.equal(us, nowMs * 1000 + index);
    seen.add(us);
    previous = us;
  }
  assert.equal(seen.size, 5000);
  // The clock catching up wins again.
  assert.equal(stampMicroseconds(stamps.next(nowMs + 10)), (nowMs + 10) * 1000);
});

test('a clock that goes back never repeats a stamp', () => {
  const stamps = new ModificationStamps();
  const first = stamps.next(2_000_000);
  const second = stamps.next(1_000_000);
  assert.ok(stampMicroseconds(second) > stampMicroseconds(first));
});

test('observed stamps (replay, a primary, an attached table) raise the floor', () => {
  const stamps = new ModificationStamps();
  stamps.observe(5_000_000.25);
  assert.equal(stamps.lastUs, 5_000_000_250);
  stamps.observe(4_000_000);
  assert.equal(stamps.lastUs, 5_000_000_250);
  assert.equal(stampMicroseconds(stamps.next(1_000)), 5_000_000_251);
});
