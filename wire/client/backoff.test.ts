import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { reconnectDelayMs } from './backoff';

test('delays double from the minimum, stop at the maximum, and jitter within [half, whole]', () => {
  assert.equal(reconnectDelayMs(0, 100, 10_000, () => 1), 100);
  assert.equal(reconnectDelayMs(0, 100, 10_000, () => 0), 50);
  assert.equal(reconnectDelayMs(3, 100, 10_000, () => 1), 800);
  assert.equal(reconnectDelayMs(7, 100, 10_000, () => 1), 10_000);
  assert.equal(reconnectDelayMs(5000, 100, 10_000, () => 0.5), 7_500);
  for (let attempt = 0; attempt < 40; attempt++) {
    const delay = reconnectDelayMs(attempt, 100, 10_000);
    const ceiling = Math.min(10_000, 100 * 2 ** attempt);
    assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay}`);
  }
  assert.throws(() => reconnectDelayMs(-1, 100, 1000), RangeError);
  assert.throws(() => reconnectDelayMs(0, 0, 1000), RangeError);
});
