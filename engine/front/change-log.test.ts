import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeLog } from './change-log';
import { changePageBytes } from './change-pages';
import { GrowableBytes } from '../layout/growable-bytes';
import { encodeWalRecord, RecordCheck, sealWalRecords, WalRecordView } from '../layout/wal-record';
import { SeededRandom, testSeed } from '../layout/seeded-random';
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

test('readFrom answers standalone copies equal to what was appended, field by field, across pages (seeded)', (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (TESSERA_SEED=${seed} replays it)`);
  const random = new SeededRandom(seed);
  const log = new ChangeLog(256);
  const appended: Change[] = [];
  const kinds: Change['kind'][] = ['put', 'delete', 'touch', 'expired', 'evicted'];
  for (let index = 0; index < 1000; index++) {
    const kind = random.pick(kinds);
    // Now and then a value larger than a page, so a record gets a page of its own.
    const valueBytes = random.below(50) === 0 ? changePageBytes + random.below(4096) : random.below(9000);
    const entry: Omit<Change, 'lsn'> = {
      kind,
      ns: random.pick(['content', 'other']),
      key: random.bytes(1 + random.below(40)),
      generation: random.nextUint32(),
      expiry: random.below(2) === 0 ? 0 : random.nextUint32(),
      lastModified: 1_700_000_000_000 + random.below(1e9),
      contentType: random.pick(['', 'text/html', 'application/json; charset=utf-8']),
      value: kind === 'put' ? random.bytes(valueBytes) : null,
      ...(kind !== 'touch' && random.below(3) === 0 ? { tags: new TextEncoder().encode('site:a page:7') } : {}),
    };
    let heard: Change | null = null;
    const stop = log.subscribe((change) => (heard = change));
    log.append(entry);
    stop();
    assert.equal(heard, entry, 'a listener gets the appended object itself');
    appended.push(entry as Change);
  }
  const read = log.readFrom(log.oldestLsn - 1);
  assert.ok(Array.isArray(read));
  assert.equal(read.length, 256);
  for (const copy of read) {
    const original = appended[copy.lsn - 1]!;
    assert.deepEqual({ ...copy }, { ...original });
    if (copy.value !== null) assert.notEqual(copy.value.buffer, original.value?.buffer, 'a copy, not a view of the page');
  }
});

test('pages are reused once their changes leave the window: a long run holds the same few pages', () => {
  const log = new ChangeLog(64);
  const value = new Uint8Array(16 * 1024);
  for (let index = 0; index < 20_000; index++) log.append({ ...change(), value });
  // 64 changes of ~16 KiB = ~1 MiB held; every later change must land on a reused page, and the
  // oldest retained change still reads back whole.
  const read = log.readFrom(log.lastLsn - 1);
  assert.ok(Array.isArray(read));
  assert.equal(read[0]?.value?.length, 16 * 1024);
  assert.equal(log.retainedBytes, 64 * (4 + 16 * 1024));
  // 20,000 × 16 KiB = 312 MiB written through pages of 1 MiB: a window of ~1 MiB needs at most a
  // current page, the one it spills from, and the pool's few.
  assert.ok(log.pagesAllocated <= 6, `pages allocated: ${log.pagesAllocated}`);
});

test('appendRecord keeps a sealed WAL record as read and answers it like an appended change', () => {
  const log = new ChangeLog(8);
  log.startAt(41);
  const bytes = new GrowableBytes(4096);
  const original: Change = { ...change(300), lsn: 42, generation: 7, tags: new TextEncoder().encode('a b') };
  const length = encodeWalRecord(bytes, original);
  sealWalRecords(bytes.u8, length);
  const view = new WalRecordView();
  assert.equal(view.check(bytes.u8, 0, length), RecordCheck.Ok);
  assert.equal(log.appendRecord(view), 42);
  assert.equal(log.retainedBytes, 4 + 300);
  const read = log.readFrom(41);
  assert.ok(Array.isArray(read));
  assert.deepEqual({ ...read[0] }, { ...original });
  assert.throws(() => log.appendRecord(view), /record LSN 42 where 43 comes next/);
});
