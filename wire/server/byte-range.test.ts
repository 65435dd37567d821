import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseByteRange, RangeOutcome } from './byte-range';

test('single ranges: first-last, open-ended, suffix; clipped to the value', () => {
  assert.deepEqual(parseByteRange('bytes=0-3', 10), { outcome: RangeOutcome.Partial, start: 0, end: 3 });
  assert.deepEqual(parseByteRange('bytes=4-', 10), { outcome: RangeOutcome.Partial, start: 4, end: 9 });
  assert.deepEqual(parseByteRange('bytes=-3', 10), { outcome: RangeOutcome.Partial, start: 7, end: 9 });
  assert.deepEqual(parseByteRange('bytes=-30', 10), { outcome: RangeOutcome.Partial, start: 0, end: 9 });
  assert.deepEqual(parseByteRange('bytes=8-100', 10), { outcome: RangeOutcome.Partial, start: 8, end: 9 });
  assert.deepEqual(parseByteRange('Bytes=9-9', 10), { outcome: RangeOutcome.Partial, start: 9, end: 9 });
});

test('unsatisfiable: past the end, an empty value, a zero suffix', () => {
  for (const [header, size] of [['bytes=10-', 10], ['bytes=10-20', 10], ['bytes=0-', 0], ['bytes=-1', 0], ['bytes=-0', 10]] as const) {
    assert.equal(parseByteRange(header, size).outcome, RangeOutcome.Unsatisfiable, `${header} of ${size}`);
  }
});

test('ignored (whole value): absent, several ranges, malformed, other units, last < first, huge numbers', () => {
  for (const header of ['', 'bytes=0-1,3-4', 'bytes=a-b', 'items=0-1', 'bytes=5-2', 'bytes=-', 'bytes=0-1 x', `bytes=${'9'.repeat(20)}-`]) {
    assert.equal(parseByteRange(header, 10).outcome, RangeOutcome.Whole, header);
  }
});
