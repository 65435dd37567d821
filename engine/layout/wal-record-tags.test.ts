// WAL records carry a put's surrogate keys after its value (segment format 2), and a removal's
// (the tags the removed record had; format 3); a record without tags reads as before, a touch with
// tags and a record whose tag length does not add up are corrupt.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GrowableBytes } from './growable-bytes';
import { encodeTagRun, tagRunBytesMax } from './surrogate-keys';
import type { Change } from './types';
import { payloadTagsBytesByte, RecordCheck, recordHeaderBytes, sealWalRecords, WalRecordView, encodeWalRecord } from './wal-record';

const encoder = new TextEncoder();

function change(lsn: number, tags: string[] | null): Change {
  const base: Change = { lsn, kind: 'put', ns: 'content', key: encoder.encode(`k${lsn}`), value: encoder.encode('value'), generation: 1, expiry: 0, lastModified: 1.5e12, contentType: 'text/plain' };
  return tags === null ? base : { ...base, tags: encodeTagRun(tags) };
}

test('tags round trip; none reads as no field; a longest tag run fits', () => {
  const buffer = new GrowableBytes(64);
  const longest = Array.from({ length: 16 }, (_, index) => `${index}`.padEnd(64, 'x'));
  const changes = [change(1, ['a', 'b-c']), change(2, null), change(3, longest)];
  for (const each of changes) encodeWalRecord(buffer, each);
  sealWalRecords(buffer.u8, buffer.length);
  const view = new WalRecordView();
  let at = 0;
  const read: Change[] = [];
  for (let index = 0; index < changes.length; index++) {
    assert.equal(view.check(buffer.u8, at, buffer.length), RecordCheck.Ok);
    read.push(view.toChange());
    at += view.recordBytes;
  }
  assert.equal(Buffer.from(read[0]!.tags!).toString(), 'a b-c');
  assert.equal('tags' in read[1]!, false);
  assert.equal(read[2]!.tags!.length, tagRunBytesMax);
  assert.equal(Buffer.from(read[0]!.value!).toString(), 'value', 'the value ends where the tags begin');
});

test('a tags length that does not add up is corrupt, after the crc', () => {
  const buffer = new GrowableBytes(64);
  encodeWalRecord(buffer, change(1, ['a']));
  buffer.view.setUint32(recordHeaderBytes + payloadTagsBytesByte, 2, true);
  sealWalRecords(buffer.u8, buffer.length);
  assert.equal(new WalRecordView().check(buffer.u8, 0, buffer.length), RecordCheck.Corrupt);
});

test('a removal carries the removed record\'s tags (format 3); a touch with tags is corrupt', () => {
  for (const kind of ['delete', 'expired', 'evicted'] as const) {
    const buffer = new GrowableBytes(64);
    encodeWalRecord(buffer, { ...change(7, ['gone', 'x']), kind, value: null });
    sealWalRecords(buffer.u8, buffer.length);
    const view = new WalRecordView();
    assert.equal(view.check(buffer.u8, 0, buffer.length), RecordCheck.Ok, kind);
    const read = view.toChange();
    assert.equal(read.kind, kind);
    assert.equal(read.value, null);
    assert.equal(Buffer.from(read.tags!).toString(), 'gone x', kind);
  }
  const buffer = new GrowableBytes(64);
  encodeWalRecord(buffer, { ...change(8, ['x']), kind: 'touch', value: null });
  sealWalRecords(buffer.u8, buffer.length);
  assert.equal(new WalRecordView().check(buffer.u8, 0, buffer.length), RecordCheck.Corrupt);
});
