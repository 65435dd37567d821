// SegmentLog over the fault-injecting file layer: what it reports durable survives a simulated power
// loss, and a deliberately wrong log (durable on write) is caught losing records by the same check.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WalReader } from './front/wal-reader';
import { GrowableBytes } from './layout/growable-bytes';
import { encodeWalRecord } from './layout/wal-record';
import type { Change } from './layout/types';
import { FaultFileLayer } from './layout/fault-file-layer';
import { type FsyncPolicy, SegmentLog, walSegmentBytesMin } from './wal/segment-log';
import { randomChange, sameChange, seededRandom, testSeed } from './layout/wal.fixture';

const walDirectory = '/data/wal';
const historyId = new Uint8Array(16).fill(7);

interface Trial {
  layer: FaultFileLayer;
  log: SegmentLog;
  changes: Change[];
  /** The highest LSN the log ever reported durable. */
  reportedDurableLsn: number;
}

function openLog(layer: FaultFileLayer, fsync: FsyncPolicy, nextLsn: number, wrong = false): SegmentLog {
  const log = new SegmentLog({ files: layer, walDirectory, historyId, fsync, segmentBytes: walSegmentBytesMin, nextLsn, testOnlyAckBeforeFsync: wrong });
  log.open();
  return log;
}

/** Appends random batches with group commits until `stop` says so or the log fails; bounded by `batchesMax`. */
function drive(trial: Trial, random: () => number, batchesMax: number): void {
  const encoded = new GrowableBytes(4096);
  for (let batch = 0; batch < batchesMax && trial.log.failed === null; batch++) {
    const count = 1 + ((random() * 20) | 0);
    encoded.length = 0;
    for (let i = 0; i < count; i++) {
      const change = randomChange(random, trial.changes.length + 1, { keyBytesMax: 48, valueBytesMax: 3000 });
      trial.changes.push(change);
      encodeWalRecord(encoded, change);
    }
    trial.log.append(encoded.u8.subarray(0, encoded.length));
    // Several appends may share one commit: that is group commit.
    if (random() < 0.6) {
      trial.log.commit();
      trial.reportedDurableLsn = Math.max(trial.reportedDurableLsn, trial.log.durableLsn);
      trial.log.prepareSpare();
    }
  }
}

/** Reads the WAL back; returns the LSNs <= reportedDurableLsn that are missing or wrong. */
function lostDurable(trial: Trial): number[] {
  const reader = new WalReader({ walDirectory, fromLsn: 0, historyId, files: trial.layer });
  const found = new Map<number, Change>();
  for (const record of reader.records()) found.set(record.lsn, record.toChange());
  const lost: number[] = [];
  for (let lsn = 1; lsn <= trial.reportedDurableLsn; lsn++) {
    const change = found.get(lsn);
    if (change === undefined || !sameChange(change, trial.changes[lsn - 1]!)) lost.push(lsn);
  }
  for (const [lsn, change] of found) assert.ok(sameChange(change, trial.changes[lsn - 1]!), `record ${lsn} came back altered`);
  return lost;
}

function crashTrial(seed: number, wrong: boolean): { lost: number[]; trial: Trial } {
  const random = seededRandom(seed);
  const layer = new FaultFileLayer();
  const trial: Trial = { layer, log: openLog(layer, 'always', 1, wrong), changes: [], reportedDurableLsn: 0 };
  layer.crashAtFsync(5 + ((random() * 60) | 0));
  drive(trial, random, 1000);
  trial.reportedDurableLsn = Math.max(trial.reportedDurableLsn, trial.log.durableLsn);
  assert.equal(trial.log.failed?.message.includes('ECRASHED'), true, 'the trial must end in the simulated crash');
  layer.crash();
  return { lost: lostDurable(trial), trial };
}

test('fsync always: every LSN reported durable survives a power loss (20 seeded trials)', () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  let durableTotal = 0;
  for (let round = 0; round < 20; round++) {
    const { lost, trial } = crashTrial(seed + round, false);
    assert.deepEqual(lost, [], `seed ${seed + round}: durable LSNs lost`);
    durableTotal += trial.reportedDurableLsn;
  }
  console.log(`durable LSNs checked: ${durableTotal}`);
  assert.ok(durableTotal > 0, "the trials reported something durable");
});

test('the check catches a log that reports durability on write, before fdatasync', () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  let trialsLosing = 0;
  for (let round = 0; round < 20; round++) {
    if (crashTrial(seed + round, true).lost.length > 0) trialsLosing++;
  }
  console.log(`wrong log lost acknowledged records in ${trialsLosing} of 20 trials`);
  // A crash inside the fdatasync after a write loses that batch; one inside a spare's creation may not.
  assert.ok(trialsLosing > 0, 'the durability check never failed the wrong log: it proves nothing');
});

test('ENOSPC on write: the log fails for good and the durable LSN stops', () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const random = seededRandom(seed);
  const layer = new FaultFileLayer();
  const trial: Trial = { layer, log: openLog(layer, 'always', 1), changes: [], reportedDurableLsn: 0 };
  drive(trial, random, 20);
  trial.log.commit();
  const durableBefore = trial.log.durableLsn;
  assert.ok(durableBefore > 0);
  layer.failWritesAfter(1000 + ((random() * 5000) | 0));
  drive(trial, random, 1000);
  const failed = trial.log.failed as (Error & { code?: string }) | null;
  assert.equal(failed?.code, 'ENOSPC');
  const durableAtFailure = trial.log.durableLsn;
  assert.ok(durableAtFailure < trial.changes.length, 'records after the failure are not durable');
  layer.failWritesAfter(Infinity);
  drive(trial, random, 5);
  trial.log.commit();
  assert.equal(trial.log.durableLsn, durableAtFailure, 'no durable progress after a failure, even with space back');
  layer.crash();
  assert.deepEqual(lostDurable(trial), []);
});

test('EIO on fsync: no retry, the durable LSN stays at the last good fsync', () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const random = seededRandom(seed);
  const layer = new FaultFileLayer();
  const trial: Trial = { layer, log: openLog(layer, 'always', 1), changes: [], reportedDurableLsn: 0 };
  drive(trial, random, 30);
  trial.log.commit();
  const durableBefore = trial.log.durableLsn;
  const fsyncsBefore = layer.fsyncs;
  layer.failNextFsyncs(1);
  drive(trial, random, 30);
  trial.log.commit();
  const failed = trial.log.failed as (Error & { code?: string }) | null;
  assert.equal(failed?.code, 'EIO');
  assert.equal(trial.log.durableLsn, durableBefore);
  assert.ok(trial.log.writtenLsn > durableBefore, 'records were written but never reported durable');
  drive(trial, random, 5);
  trial.log.commit();
  trial.log.tick();
  trial.log.close();
  assert.equal(layer.fsyncs, fsyncsBefore, 'the failed fsync was never retried');
  assert.equal(trial.log.durableLsn, durableBefore);
  layer.crash();
  assert.deepEqual(lostDurable(trial), []);
});

test('segments rotate at the bound with a spare ready, and dropBefore deletes only whole old segments', () => {
  const layer = new FaultFileLayer();
  const log = openLog(layer, 'never', 1);
  assert.equal(layer.list(walDirectory).length, 2, 'an active segment and a spare after open');
  const random = seededRandom(42);
  const trial: Trial = { layer, log, changes: [], reportedDurableLsn: 0 };
  drive(trial, random, 200);
  log.commit();
  log.prepareSpare();
  const stats = log.stats();
  assert.ok(stats.segments >= 5, `expected several segments, got ${stats.segments}`);
  assert.equal(layer.list(walDirectory).length, stats.segments + 1, 'one spare beyond the listed segments');
  const dropLsn = Math.floor(trial.changes.length / 2);
  const dropped = log.dropBefore(dropLsn);
  assert.ok(dropped >= 1);
  log.close();
  assert.throws(() => [...new WalReader({ walDirectory, fromLsn: 0, historyId, files: layer }).records()], /records are missing/, 'the dropped head is a gap for a reader from 0');
  const reader = new WalReader({ walDirectory, fromLsn: dropLsn, historyId, files: layer });
  let count = 0;
  for (const record of reader.records()) {
    assert.ok(sameChange(record.toChange(), trial.changes[record.lsn - 1]!));
    count++;
  }
  assert.equal(reader.report.damage, null);
  assert.ok(reader.report.firstLsn > 1 && reader.report.firstLsn <= dropLsn + 1, `first kept LSN ${reader.report.firstLsn}`);
  assert.equal(reader.report.lastLsn, trial.changes.length);
  assert.equal(count, trial.changes.length - dropLsn);
});

test('everysec writes at once and fdatasyncs at most once a second', () => {
  let nowMs = 0;
  const layer = new FaultFileLayer();
  const log = new SegmentLog({ files: layer, walDirectory, historyId, fsync: 'everysec', segmentBytes: 1024 * 1024, nextLsn: 1, nowMs: () => nowMs });
  log.open();
  const trial: Trial = { layer, log, changes: [], reportedDurableLsn: 0 };
  const fsyncsAtOpen = layer.fsyncs;
  drive(trial, seededRandom(5), 50);
  log.commit();
  assert.equal(log.writtenLsn, trial.changes.length);
  assert.equal(log.durableLsn, log.writtenLsn, 'everysec publishes the written LSN');
  assert.equal(layer.fsyncs, fsyncsAtOpen, 'no fdatasync within the second');
  nowMs = 1000;
  log.tick();
  assert.equal(layer.fsyncs, fsyncsAtOpen + 1);
  assert.equal(log.syncedLsn, log.writtenLsn);
  log.close();
});

test('appending out of LSN order is a broken invariant', () => {
  const layer = new FaultFileLayer();
  const log = openLog(layer, 'always', 10);
  const encoded = new GrowableBytes(4096);
  encodeWalRecord(encoded, randomChange(seededRandom(1), 11));
  assert.throws(() => log.append(encoded.u8.subarray(0, encoded.length)), /expected LSN 10, got 11/);
  log.close();
});

test('group commit: every record appended before a commit is covered by its one fdatasync', () => {
  const layer = new FaultFileLayer();
  const log = openLog(layer, 'always', 1);
  const trial: Trial = { layer, log, changes: [], reportedDurableLsn: 0 };
  const encoded = new GrowableBytes(4096);
  const random = seededRandom(9);
  for (let message = 0; message < 25; message++) {
    encoded.length = 0;
    for (let i = 0; i < 4; i++) {
      const change = randomChange(random, trial.changes.length + 1, { keyBytesMax: 16, valueBytesMax: 64 });
      trial.changes.push(change);
      encodeWalRecord(encoded, change);
    }
    log.append(encoded.u8.subarray(0, encoded.length));
  }
  assert.equal(log.durableLsn, 0, 'nothing is durable before the commit');
  const fsyncsBefore = layer.fsyncs;
  log.commit();
  assert.equal(layer.fsyncs - fsyncsBefore, 1, 'one fdatasync for 25 messages');
  assert.equal(log.durableLsn, 100);
  assert.equal(log.stats().fsyncLatencyCount, 1);
  layer.crash();
  trial.reportedDurableLsn = 100;
  assert.deepEqual(lostDurable(trial), []);
});

test('a start that logs nothing, then a start that logs acknowledged records, then a power loss: nothing acknowledged is cut', () => {
  const layer = new FaultFileLayer();
  const walDirectory = '/data/wal';
  const historyId = new Uint8Array(16).fill(7);
  const random = seededRandom(1);
  const open = (nextLsn: number): SegmentLog => {
    const log = new SegmentLog({ files: layer, walDirectory, historyId, fsync: 'always', segmentBytes: walSegmentBytesMin, nextLsn });
    log.open();
    return log;
  };
  const write = (log: SegmentLog, from: number, to: number): number => {
    const encoded = new GrowableBytes(4096);
    for (let lsn = from; lsn <= to; lsn++) encodeWalRecord(encoded, randomChange(random, lsn, { keyBytesMax: 16, valueBytesMax: 64 }));
    log.append(encoded.u8.subarray(0, encoded.length));
    log.commit();
    return log.durableLsn;
  };
  let log = open(1);
  assert.equal(write(log, 1, 10), 10);
  log.close();
  open(11).close(); // a start that logged nothing: its segment header must be durable all the same
  log = open(11);
  assert.equal(write(log, 11, 20), 20);
  log.close();
  layer.crash();
  const reader = new WalReader({ walDirectory, fromLsn: 0, historyId, files: layer });
  let last = 0;
  for (const record of reader.records()) last = record.lsn;
  assert.equal(last, 20, `every acknowledged record survives (damage: ${reader.report.damage}, deleted: ${reader.report.deletedSegments.join(', ')})`);
});
