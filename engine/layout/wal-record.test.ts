import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomChange, sameChange, seededRandom, testSeed } from './wal.fixture';
import { GrowableBytes } from './growable-bytes';
import {
  RecordCheck,
  WalRecordView,
  encodeWalRecord,
  sealWalRecords,
  recordHeaderBytes,
  walContentTypeBytesMax,
  walKeyBytesMax,
  walNamespaceBytesMax,
} from './wal-record';
import type { Change } from './types';

test('WAL records round trip (seeded), every kind, 8-aligned', () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const random = seededRandom(seed);
  const buffer = new GrowableBytes(64);
  const changes: Change[] = [];
  for (let i = 0; i < 2000; i++) {
    const change = randomChange(random, i + 1);
    changes.push(change);
    const bytes = encodeWalRecord(buffer, change);
    assert.equal(bytes % 8, 0);
  }
  const view = new WalRecordView();
  assert.equal(view.check(buffer.u8, 0, buffer.length), RecordCheck.Corrupt, 'an unsealed record does not pass');
  sealWalRecords(buffer.u8, buffer.length);
  let at = 0;
  for (const change of changes) {
    assert.equal(view.check(buffer.u8, at, buffer.length), RecordCheck.Ok);
    assert.ok(sameChange(view.toChange(), change), `record ${change.lsn} differs (seed ${seed})`);
    at += view.recordBytes;
  }
  assert.equal(at, buffer.length);
  assert.equal(view.check(new Uint8Array(16), 0, 16), RecordCheck.End);
});

test('WAL records at the widest fields round trip', () => {
  const change: Change = {
    lsn: Number.MAX_SAFE_INTEGER,
    kind: 'put',
    ns: 'n'.repeat(walNamespaceBytesMax),
    key: new Uint8Array(walKeyBytesMax).fill(0xff),
    generation: 2 ** 32 - 1,
    expiry: 2 ** 32 - 1,
    lastModified: 2 ** 53 - 1,
    contentType: 't'.repeat(walContentTypeBytesMax),
    value: new Uint8Array(1024 * 1024).fill(0xab),
  };
  const buffer = new GrowableBytes(64);
  encodeWalRecord(buffer, change);
  sealWalRecords(buffer.u8, buffer.length);
  const view = new WalRecordView();
  assert.equal(view.check(buffer.u8, 0, buffer.length), RecordCheck.Ok);
  assert.ok(sameChange(view.toChange(), change));
  const empty: Change = { ...change, lsn: 1, value: new Uint8Array(0), contentType: '' };
  buffer.length = 0;
  encodeWalRecord(buffer, empty);
  sealWalRecords(buffer.u8, buffer.length);
  assert.equal(view.check(buffer.u8, 0, buffer.length), RecordCheck.Ok);
  assert.deepEqual(view.value(), new Uint8Array(0), 'an empty value stays a value, not null');
});

test('a non-ASCII namespace name or content type is encoded as UTF-8', () => {
  const buffer = new GrowableBytes(64);
  const change: Change = { lsn: 3, kind: 'put', ns: 'näme', key: new Uint8Array([1]), generation: 1, expiry: 0, lastModified: 1, contentType: 'text/plain; x="é"', value: new Uint8Array([2]) };
  encodeWalRecord(buffer, change);
  sealWalRecords(buffer.u8, buffer.length);
  const view = new WalRecordView();
  assert.equal(view.check(buffer.u8, 0, buffer.length), RecordCheck.Ok);
  assert.ok(sameChange(view.toChange(), change));
});

test('WAL record fields out of bounds are refused', () => {
  const buffer = new GrowableBytes(64);
  const base: Change = { lsn: 1, kind: 'delete', ns: 'a', key: new Uint8Array(1), generation: 1, expiry: 0, lastModified: 0, contentType: '', value: null };
  assert.throws(() => encodeWalRecord(buffer, { ...base, ns: 'x'.repeat(walNamespaceBytesMax + 1) }), RangeError);
  assert.throws(() => encodeWalRecord(buffer, { ...base, ns: '' }), RangeError);
  assert.throws(() => encodeWalRecord(buffer, { ...base, key: new Uint8Array(walKeyBytesMax + 1) }), RangeError);
  assert.throws(() => encodeWalRecord(buffer, { ...base, contentType: 'c'.repeat(walContentTypeBytesMax + 1) }), RangeError);
  assert.throws(() => encodeWalRecord(buffer, { ...base, lsn: 0 }));
});

test('every flipped bit and every torn length is detected', () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const random = seededRandom(seed);
  const buffer = new GrowableBytes(64);
  encodeWalRecord(buffer, randomChange(random, 7, { keyBytesMax: 20, valueBytesMax: 100 }));
  sealWalRecords(buffer.u8, buffer.length);
  const record = buffer.u8.slice(0, buffer.length);
  const view = new WalRecordView();
  const payloadEnd = recordHeaderBytes + new DataView(record.buffer).getUint32(0, true);
  for (let bit = 0; bit < payloadEnd * 8; bit++) {
    const damaged = record.slice();
    damaged[bit >>> 3]! ^= 1 << (bit & 7);
    const check = view.check(damaged, 0, damaged.length);
    assert.ok(check !== RecordCheck.Ok, `flipped bit ${bit} went unnoticed (seed ${seed})`);
  }
  for (let cut = 1; cut < record.length; cut++) {
    const torn = new Uint8Array(Math.ceil(cut / 8) * 8);
    torn.set(record.subarray(0, cut));
    const check = view.check(torn, 0, cut);
    assert.ok(check === RecordCheck.Torn || check === RecordCheck.Corrupt, `a record cut at ${cut} passed`);
  }
});
