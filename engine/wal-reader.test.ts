// The recovery reader on real files: damage in the last segment (a torn tail, a flipped bit) and in
// an earlier one; it keeps everything before, truncates, reports, and never yields past the damage.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { GrowableBytes } from './layout/growable-bytes';
import { encodeWalRecord, recordBytesFor } from './layout/wal-record';
import { segmentHeaderBytes } from './layout/wal-segment-header';
import type { Change } from './layout/types';
import { nodeFileLayer } from './layout/file-layer';
import { SegmentLog } from './wal/segment-log';
import { randomChange, sameChange, seededRandom } from './layout/wal.fixture';
import { WalGapError, WalReader } from './front/wal-reader';
import { tempDirMaker } from './layout/temp-dirs.fixture';

const historyId = new Uint8Array(16).fill(3);
const newTempDir = tempDirMaker('tessera-wal-');

interface Written {
  walDirectory: string;
  changes: Change[];
  /** Byte offset of each record (by LSN - 1) inside its segment, and the segment's file. */
  offsets: number[];
  files: string[];
}

/** Writes `count` records with SegmentLog into a temp dir (fsync never: the test reads page cache). */
function writeWal(count: number, segmentBytes: number, seed: number): Written {
  const root = newTempDir();
  const walDirectory = path.join(root, 'wal');
  const log = new SegmentLog({ files: nodeFileLayer, walDirectory, historyId, fsync: 'never', segmentBytes, nextLsn: 1 });
  log.open();
  const random = seededRandom(seed);
  const encoded = new GrowableBytes(4096);
  const changes: Change[] = [];
  for (let lsn = 1; lsn <= count; lsn++) {
    const change = randomChange(random, lsn, { keyBytesMax: 32, valueBytesMax: 600 });
    changes.push(change);
    encoded.length = 0;
    encodeWalRecord(encoded, change);
    log.append(encoded.u8.subarray(0, encoded.length));
    log.commit();
    log.prepareSpare();
  }
  log.close();
  // Recompute where each record sits by reading segments back in order.
  const offsets: number[] = [];
  const files: string[] = [];
  const reader = new WalReader({ walDirectory, fromLsn: 0, historyId });
  let previousStart = Infinity;
  let segmentIndex = -1;
  const segmentNames = fs.readdirSync(walDirectory).sort();
  for (const record of reader.records()) {
    if (record.start <= previousStart) segmentIndex++;
    previousStart = record.start;
    offsets.push(record.start);
    files.push(path.join(walDirectory, segmentNames[segmentIndex]!));
  }
  assert.equal(reader.report.lastLsn, count);
  return { walDirectory, changes, offsets, files };
}

function readBack(walDirectory: string, fromLsn = 0): { changes: Change[]; reader: WalReader } {
  const reader = new WalReader({ walDirectory, fromLsn, historyId });
  const changes: Change[] = [];
  for (const record of reader.records()) changes.push(record.toChange());
  return { changes, reader };
}

function assertPrefix(found: Change[], written: Change[], count: number): void {
  assert.equal(found.length, count);
  for (let i = 0; i < count; i++) assert.ok(sameChange(found[i]!, written[i]!), `record ${i + 1} differs`);
}

test('a whole WAL reads back in order, from any LSN', () => {
  const written = writeWal(300, 64 * 1024, 11);
  const all = readBack(written.walDirectory);
  assertPrefix(all.changes, written.changes, 300);
  assert.equal(all.reader.report.damage, null);
  assert.equal(all.reader.report.nextLsn, 301);
  const tail = readBack(written.walDirectory, 250);
  assert.equal(tail.changes.length, 50);
  assert.equal(tail.changes[0]!.lsn, 251);
  assert.equal(tail.reader.report.records, 50);
});

test('a torn tail: keeps every record before it, truncates there, reports it', () => {
  const written = writeWal(200, 1024 * 1024, 12);
  const lastStart = written.offsets[199]!;
  const file = written.files[199]!;
  const fd = fs.openSync(file, 'r+');
  fs.ftruncateSync(fd, lastStart + 20); // the last record is cut 20 bytes in
  fs.closeSync(fd);
  const first = readBack(written.walDirectory);
  assertPrefix(first.changes, written.changes, 199);
  assert.match(first.reader.report.damage ?? '', /torn/);
  assert.equal(first.reader.report.lastLsn, 199);
  assert.equal(first.reader.report.nextLsn, 200);
  assert.ok(first.reader.report.droppedBytes > 0 && first.reader.report.droppedBytes <= 20);
  assert.equal(fs.statSync(file).size, lastStart, 'truncated at the torn record');
  const second = readBack(written.walDirectory);
  assertPrefix(second.changes, written.changes, 199);
  assert.equal(second.reader.report.damage, null, 'a repaired WAL reads clean');
});

test('a flipped bit in the last segment: nothing at or after it is yielded', () => {
  const written = writeWal(200, 1024 * 1024, 13);
  const damagedLsn = 150;
  const file = written.files[damagedLsn - 1]!;
  const bytes = fs.readFileSync(file);
  bytes[written.offsets[damagedLsn - 1]! + 40]! ^= 0x10;
  fs.writeFileSync(file, bytes);
  const result = readBack(written.walDirectory);
  assertPrefix(result.changes, written.changes, damagedLsn - 1);
  assert.match(result.reader.report.damage ?? '', /corrupt record/);
  assert.equal(result.reader.report.droppedRecords, 200 - damagedLsn + 1, 'every record from the bad one on is counted');
  assert.ok(result.reader.report.droppedBytes >= (200 - damagedLsn) * recordBytesFor(32));
  assert.equal(fs.statSync(file).size, written.offsets[damagedLsn - 1]);
});

test('damage in an earlier segment deletes every later segment', () => {
  const written = writeWal(1000, 64 * 1024, 14);
  const lastFile = written.files[999]!;
  const damagedLsn = written.files.indexOf(lastFile) - 5; // in the segment before the last one
  assert.ok(damagedLsn > 0 && written.files[damagedLsn - 1] !== lastFile);
  const file = written.files[damagedLsn - 1]!;
  const bytes = fs.readFileSync(file);
  bytes[written.offsets[damagedLsn - 1]! + 5]! ^= 0x01; // the checksum word
  fs.writeFileSync(file, bytes);
  const result = readBack(written.walDirectory);
  assertPrefix(result.changes, written.changes, damagedLsn - 1);
  assert.ok(result.reader.report.deletedSegments.includes(lastFile));
  assert.equal(fs.existsSync(lastFile), false);
  assert.ok(result.reader.report.droppedRecords >= 1000 - damagedLsn);
});

test('a corrupt segment header drops that segment, never yields from it', () => {
  const written = writeWal(1000, 64 * 1024, 15);
  const lastFile = written.files[999]!;
  const firstInLast = written.files.indexOf(lastFile) + 1;
  const bytes = fs.readFileSync(lastFile);
  bytes[20]! ^= 0xff; // inside the history id
  fs.writeFileSync(lastFile, bytes);
  const result = readBack(written.walDirectory);
  assertPrefix(result.changes, written.changes, firstInLast - 1);
  assert.match(result.reader.report.damage ?? '', /header/);
  assert.equal(fs.existsSync(lastFile), false);
});

test('a segment of another history is refused, not repaired', () => {
  const written = writeWal(10, 64 * 1024, 16);
  const reader = new WalReader({ walDirectory: written.walDirectory, fromLsn: 0, historyId: new Uint8Array(16).fill(9) });
  assert.throws(() => [...reader.records()], /another history/);
  assert.equal(fs.statSync(written.files[0]!).size > segmentHeaderBytes, true, 'nothing truncated');
});

test('after a repair the log reopens at lastLsn + 1 and the chain continues', () => {
  const written = writeWal(100, 1024 * 1024, 17);
  const fd = fs.openSync(written.files[99]!, 'r+');
  fs.ftruncateSync(fd, written.offsets[99]! + 8);
  fs.closeSync(fd);
  const repaired = readBack(written.walDirectory);
  assert.equal(repaired.reader.report.lastLsn, 99);
  const log = new SegmentLog({ files: nodeFileLayer, walDirectory: written.walDirectory, historyId, fsync: 'always', segmentBytes: 64 * 1024, nextLsn: 100 });
  log.open();
  const encoded = new GrowableBytes(4096);
  const replacement = randomChange(seededRandom(99), 100);
  encodeWalRecord(encoded, replacement);
  log.append(encoded.u8.subarray(0, encoded.length));
  log.commit();
  assert.equal(log.durableLsn, 100);
  log.close();
  const all = readBack(written.walDirectory);
  assert.equal(all.reader.report.damage, null);
  assert.equal(all.changes.length, 100);
  assert.ok(sameChange(all.changes[99]!, replacement));
});

test('a WAL that does not reach back to fromLsn + 1 is a gap: refused before anything is yielded', () => {
  const written = writeWal(1000, 64 * 1024, 18);
  const firstFile = written.files[0]!;
  const secondStart = written.files.findIndex((file) => file !== firstFile) + 1;
  fs.unlinkSync(firstFile); // as if dropBefore had gone too far
  const yielded: number[] = [];
  const reader = new WalReader({ walDirectory: written.walDirectory, fromLsn: 10, historyId });
  assert.throws(() => {
    for (const record of reader.records()) yielded.push(record.lsn);
  }, WalGapError);
  assert.deepEqual(yielded, []);
  const fromLater = readBack(written.walDirectory, secondStart - 1);
  assert.equal(fromLater.changes[0]!.lsn, secondStart, 'reading from the first kept LSN is fine');
  assert.equal(fromLater.reader.report.nextLsn, 1001);
});

test('a forward jump in the chain is accepted only when the snapshot covers the hole', () => {
  const written = writeWal(50, 64 * 1024, 19);
  // A restart after the WAL lost its tail beyond 50 while a snapshot reached 80: the log goes on at 81.
  const log = new SegmentLog({ files: nodeFileLayer, walDirectory: written.walDirectory, historyId, fsync: 'always', segmentBytes: 64 * 1024, nextLsn: 81 });
  log.open();
  const encoded = new GrowableBytes(4096);
  encodeWalRecord(encoded, randomChange(seededRandom(5), 81));
  log.append(encoded.u8.subarray(0, encoded.length));
  log.commit();
  log.close();
  const covered = readBack(written.walDirectory, 80);
  assert.equal(covered.reader.report.damage, null);
  assert.deepEqual(covered.changes.map((change) => change.lsn), [81]);
  const uncovered = readBack(written.walDirectory, 40);
  assert.match(uncovered.reader.report.damage ?? '', /segment starts at LSN 81, expected 51/);
  assert.equal(uncovered.changes.length, 10, 'records 41..50 only');
});

test('read-only (a primary reading its live WAL): a torn tail or damage ends the read, nothing is truncated or deleted', () => {
  const written = writeWal(1000, 64 * 1024, 21);
  const lastFile = written.files[999]!;
  const fd = fs.openSync(lastFile, 'r+');
  fs.ftruncateSync(fd, written.offsets[999]! + 20); // the record "being written"
  fs.closeSync(fd);
  const earlierLsn = written.files.indexOf(lastFile) - 3;
  const earlierFile = written.files[earlierLsn - 1]!;
  const sizesBefore = fs.readdirSync(written.walDirectory).map((name) => [name, fs.statSync(path.join(written.walDirectory, name)).size]);
  const tailRead = new WalReader({ walDirectory: written.walDirectory, fromLsn: 500, historyId, readOnly: true });
  const lsns: number[] = [];
  for (const record of tailRead.records()) lsns.push(record.lsn);
  assert.equal(lsns[0], 501);
  assert.equal(lsns.at(-1), 999, 'stops before the torn record');
  assert.equal(lsns.length, 499);
  assert.match(tailRead.report.damage ?? '', /torn/);
  const bytes = fs.readFileSync(earlierFile);
  bytes[written.offsets[earlierLsn - 1]! + 5]! ^= 0x01;
  fs.writeFileSync(earlierFile, bytes);
  const damagedRead = new WalReader({ walDirectory: written.walDirectory, fromLsn: 0, historyId, readOnly: true });
  assert.equal([...damagedRead.records()].length, earlierLsn - 1);
  const sizesAfter = fs.readdirSync(written.walDirectory).map((name) => [name, fs.statSync(path.join(written.walDirectory, name)).size]);
  assert.deepEqual(sizesAfter, sizesBefore, 'every segment is still there, at its size');
  assert.equal(damagedRead.report.deletedSegments.length, 0);
  assert.equal(damagedRead.report.truncatedSegment, null);
});

test('skipCovered: segments wholly at or below fromLsn are not read (damage there does not stop a catch-up read)', () => {
  const written = writeWal(1000, 64 * 1024, 22);
  const segmentOf = (lsn: number): string => written.files[lsn - 1]!;
  assert.notEqual(segmentOf(10), segmentOf(900), 'several segments');
  const bytes = fs.readFileSync(segmentOf(10));
  bytes[written.offsets[9]! + 5]! ^= 0x01; // a record of the first segment
  fs.writeFileSync(segmentOf(10), bytes);
  const readAll = (skipCovered: boolean): number[] => {
    const lsns: number[] = [];
    const reader = new WalReader({ walDirectory: written.walDirectory, fromLsn: 800, historyId, readOnly: true, skipCovered });
    for (const record of reader.records()) lsns.push(record.lsn);
    return lsns;
  };
  assert.deepEqual(readAll(false), [], 'the whole chain is checked: the damage stops the read');
  const skipped = readAll(true);
  assert.equal(skipped.length, 200);
  assert.deepEqual([skipped[0], skipped.at(-1)], [801, 1000]);
  const atBoundary = new WalReader({ walDirectory: written.walDirectory, fromLsn: 0, historyId, readOnly: true, skipCovered: true });
  assert.equal([...atBoundary.records()].length, 9, 'from 0 nothing is skipped: the damage at LSN 10 stops it');
});
