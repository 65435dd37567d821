import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeLog } from './change-log';
import type { Change } from '../layout/types';

function change(size = 0): Omit<Change, 'lsn'> {
  return { kind: 'put', ns: 'content', key: new Uint8Array(4), generation: 1, expiry: 0, lastModified: 0, contentType: '', value: new Uint8Array(size) };
}

test('LSNs grow by one; readFrom answers every change after an LSN', () => {
  const log = new ChangeLog(8);
  const seen: number[] = [];
  const stop = log.subscribe((entry) => seen.push(entry.lsn));
  for (let i = 0; i < 5; i++) log.append(change());
  stop();
  log.append(change());
  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  const after = log.readFrom(3);
  assert.ok(Array.isArray(after));
  assert.deepEqual(after.map((entry) => entry.lsn), [4, 5, 6]);
  assert.deepEqual(log.readFrom(6), []);
});

test('a window overrun answers a gap with the oldest LSN held', () => {
  const log = new ChangeLog(4);
  for (let i = 0; i < 10; i++) log.append(change());
  assert.equal(log.oldestLsn, 7);
  assert.deepEqual(log.readFrom(2), { gap: true, oldestLsn: 7 });
  const tail = log.readFrom(6);
  assert.ok(Array.isArray(tail));
  assert.deepEqual(tail.map((entry) => entry.lsn), [7, 8, 9, 10]);
});

test('the window is bounded by retained bytes as well as by count', () => {
  const log = new ChangeLog(1024, 10_000);
  for (let i = 0; i < 100; i++) log.append(change(996));
  assert.ok(log.retainedBytes <= 10_000, `retained ${log.retainedBytes}`);
  assert.equal(log.lastLsn - log.oldestLsn + 1, 10);
  assert.throws(() => new ChangeLog(3), RangeError);
});
