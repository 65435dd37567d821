// Recovery from snapshot + WAL through the whole engine (issue 11): the state after a restart equals
// a Map model; snapshots delete the WAL they cover; a fuzzy snapshot taken while writes run still
// recovers the exact final state; a torn or bit-flipped WAL tail keeps everything before the damage
// and reports it; a damaged newest snapshot is rejected and recovery falls back to an older one.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { Status } from './layout/status';
import { SeededRandom, testSeed } from './layout/seeded-random';
import { openPersistent, readState, snapshotFiles, sorted, storeNs, walSegments, writeMix, type State } from './persistence.fixture';
import { tempDirMaker } from './layout/temp-dirs.fixture';

const newTempDir = tempDirMaker('tessera-recovery-');
const segmentHeaderBytes = 64;

/** Puts key `${prefix}${i}` for i in [from, to) with a value of `valueBytes`, 500 per batch; updates the model. */
async function putRange(engine: Awaited<ReturnType<typeof openPersistent>>, model: State, prefix: string, from: number, to: number, valueBytes: number): Promise<void> {
  for (let start = from; start < to; start += 500) {
    const keys = Array.from({ length: Math.min(500, to - start) }, (_, index) => `${prefix}${start + index}`);
    const values = keys.map((key) => `${key}:`.padEnd(valueBytes, '#'));
    const results = await engine.batch(keys.map((key, index) => ({ op: 'put' as const, ns: storeNs, key, value: values[index]!, contentType: 'text/plain' })));
    results.forEach((result, index) => {
      assert.equal(result.status, Status.Ok);
      model.set(keys[index]!, { value: values[index]!, generation: result.generation, expiry: result.expiry, lastModified: result.lastModified, contentType: 'text/plain' });
    });
  }
}

/** Byte offsets and lengths of the records of a WAL segment file (walks the length words). */
function recordsOf(filePath: string): { offset: number; bytes: number }[] {
  const bytes = fs.readFileSync(filePath);
  const records: { offset: number; bytes: number }[] = [];
  let offset = segmentHeaderBytes;
  while (offset + 16 <= bytes.length && records.length < 10_000_000) {
    const payload = bytes.readUInt32LE(offset);
    if (payload === 0) break;
    const length = (16 + payload + 7) & ~7;
    records.push({ offset, bytes: length });
    offset += length;
  }
  return records;
}

/** The newest segment that holds records (a trailing spare is blank). */
function lastUsedSegment(dataDir: string): { filePath: string; records: { offset: number; bytes: number }[] } {
  const segments = walSegments(dataDir).map((name) => path.join(dataDir, 'wal', name)).reverse();
  for (const filePath of segments) {
    const records = recordsOf(filePath);
    if (records.length > 0) return { filePath, records };
  }
  assert.fail('no WAL segment holds records');
}

function flipByte(filePath: string, position: number): void {
  const fd = fs.openSync(filePath, 'r+');
  try {
    const one = Buffer.alloc(1);
    fs.readSync(fd, one, 0, 1, position);
    one[0] = one[0]! ^ 0x20;
    fs.writeSync(fd, one, 0, 1, position);
  } finally {
    fs.closeSync(fd);
  }
}

test('snapshot + WAL: the state after restart equals the model; the WAL the snapshots cover is deleted', async (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (TESSERA_SEED=${seed} replays it)`);
  const random = new SeededRandom(seed);
  const dataDir = newTempDir();
  const model: State = new Map();
  const engine = await openPersistent(dataDir);
  let first: { lsn: number; records: number };
  let second: { lsn: number; records: number };
  let lastLsn: number;
  try {
    await putRange(engine, model, 'bulk', 0, 3000, 600); // ~2 MB of WAL: three 1 MiB segments
    first = await engine.snapshot();
    assert.equal(first.lsn, 3000);
    assert.equal(first.records, 3000);
    await putRange(engine, model, 'more', 0, 2000, 600);
    await writeMix(engine, model, random, 400, 500);
    second = await engine.snapshot();
    assert.equal(second.lsn, engine.changes.lastLsn);
    assert.equal(second.records, model.size);
    assert.deepEqual(snapshotFiles(dataDir).length, 2);
    await writeMix(engine, model, random, 400, 500);
    for (const key of ['bulk1', 'bulk2', 'more3']) {
      assert.equal((await engine.delete(storeNs, key)).status, Status.Ok);
      model.delete(key);
    }
    lastLsn = engine.changes.lastLsn;
    assert.deepEqual(sorted(await readState(engine)), sorted(model));
  } finally {
    await engine.close();
  }
  // Every segment left starts after an LSN a kept snapshot covers: older ones were deleted.
  const segments = walSegments(dataDir);
  const firstRecordLsn = (name: string): number => {
    const bytes = fs.readFileSync(path.join(dataDir, 'wal', name));
    return bytes.length >= segmentHeaderBytes + 16 && bytes.readUInt32LE(segmentHeaderBytes) !== 0 ? bytes.readUInt32LE(segmentHeaderBytes + 8) : Infinity;
  };
  const oldestLsnLeft = Math.min(...segments.map(firstRecordLsn));
  assert.ok(oldestLsnLeft > 1, `the segment holding LSN 1 is gone (oldest record left: ${oldestLsnLeft}; ${segments.join(', ')})`);
  // ...but the WAL reaches back to the older kept snapshot, the fallback if the newer one is damaged.
  assert.ok(oldestLsnLeft <= first.lsn + 1, `the WAL after the older snapshot (${first.lsn}) is kept; oldest record left: ${oldestLsnLeft}`);

  const reopened = await openPersistent(dataDir);
  try {
    assert.deepEqual(sorted(await readState(reopened)), sorted(model));
    const report = reopened.persistenceStats()?.recovery;
    assert.ok(report !== null && report !== undefined);
    assert.equal(report.snapshotLsn, second.lsn);
    assert.equal(report.snapshotRecords, second.records);
    assert.equal(report.walRecords, lastLsn - second.lsn, 'only the WAL after the snapshot is replayed');
    assert.deepEqual(report.rejectedSnapshots, []);
    assert.equal(report.walDamage, null);
    assert.equal(reopened.changes.lastLsn, lastLsn);
    assert.deepEqual(reopened.changes.readFrom(0), { gap: true, oldestLsn: second.lsn + 1 }, 'changes the snapshot covers are a gap, not silence');
    const tail = reopened.changes.readFrom(second.lsn);
    assert.ok(Array.isArray(tail));
    assert.deepEqual(tail.map((change) => change.lsn), Array.from({ length: lastLsn - second.lsn }, (_, index) => second.lsn + 1 + index));
  } finally {
    await reopened.close();
  }
});

test('a fuzzy snapshot taken while writes run recovers the exact final state', async (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (TESSERA_SEED=${seed} replays it)`);
  const random = new SeededRandom(seed);
  const dataDir = newTempDir();
  const model: State = new Map();
  const engine = await openPersistent(dataDir, { fsync: 'never' });
  let snapshotLsn = 0;
  let lsnAtSnapshotEnd = 0;
  try {
    await putRange(engine, model, 'k', 0, 30_000, 150);
    const writes = writeMix(engine, model, random, 6000, 30_000, 32);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const report = await engine.snapshot();
    snapshotLsn = report.lsn;
    lsnAtSnapshotEnd = engine.changes.lastLsn;
    await writes;
  } finally {
    await engine.close();
  }
  assert.ok(lsnAtSnapshotEnd > snapshotLsn, `writes ran during the snapshot (LSN ${snapshotLsn} at its start, ${lsnAtSnapshotEnd} at its end)`);
  t.diagnostic(`${lsnAtSnapshotEnd - snapshotLsn} changes were made while the snapshot walked the tables`);
  const reopened = await openPersistent(dataDir, { fsync: 'never' });
  try {
    assert.equal(reopened.persistenceStats()?.recovery?.snapshotLsn, snapshotLsn);
    assert.deepEqual(sorted(await readState(reopened)), sorted(model));
  } finally {
    await reopened.close();
  }
});

for (const damage of ['torn', 'flipped-last', 'flipped-middle'] as const) {
  test(`a ${damage} WAL tail: everything before the damage is kept, the rest reported and dropped`, async () => {
    const dataDir = newTempDir();
    const model: State = new Map();
    const engine = await openPersistent(dataDir);
    let lastLsn: number;
    try {
      await putRange(engine, model, 'k', 0, 200, 300);
      for (let index = 0; index < 10; index++) assert.equal((await engine.put(storeNs, `tail${index}`, `tail value ${index}`)).status, Status.Ok);
      lastLsn = engine.changes.lastLsn;
    } finally {
      await engine.close();
    }
    const { filePath, records } = lastUsedSegment(dataDir);
    // Damage record `damaged` (its LSN is damagedLsn): the tail puts are the last 10 records.
    const damaged = damage === 'flipped-middle' ? records.length - 6 : records.length - 1;
    const damagedLsn = lastLsn - (records.length - 1 - damaged);
    const record = records[damaged]!;
    if (damage === 'torn') fs.truncateSync(filePath, record.offset + Math.floor(record.bytes / 2));
    else flipByte(filePath, record.offset + record.bytes - 12); // inside the key/value bytes

    const reopened = await openPersistent(dataDir);
    try {
      const report = reopened.persistenceStats()?.recovery;
      assert.ok(report !== null && report !== undefined);
      assert.notEqual(report.walDamage, null, 'the damage is named');
      assert.ok(report.walDroppedBytes > 0, 'dropped bytes are reported');
      assert.equal(report.walRecords, damagedLsn - 1);
      assert.equal(report.lastLsn, damagedLsn - 1);
      if (damage === 'flipped-middle') assert.ok(report.walDroppedRecords >= 1);
      const state = await readState(reopened);
      const kept = [...model.keys()].concat(Array.from({ length: 10 - (lastLsn - damagedLsn + 1) }, (_, index) => `tail${index}`));
      assert.deepEqual([...state.keys()].sort(), kept.sort(), 'exactly the records before the damage');
      for (const [key, stored] of model) assert.deepEqual(state.get(key), stored, key);
      assert.equal(Buffer.from((await reopened.get(storeNs, 'tail0')).value ?? []).toString(), 'tail value 0');
      // The next write takes the damaged record's LSN: the log runs on without a hole.
      assert.equal((await reopened.put(storeNs, 'next', 'n')).status, Status.Ok);
      assert.equal(reopened.changes.lastLsn, damagedLsn);
    } finally {
      await reopened.close();
    }
    // And the repaired WAL reads clean on the next start.
    const third = await openPersistent(dataDir);
    try {
      assert.equal(third.persistenceStats()?.recovery?.walDamage, null);
      assert.equal((await third.get(storeNs, 'next')).status, Status.Ok);
    } finally {
      await third.close();
    }
  });
}

test('a damaged newest snapshot is rejected and recovery falls back to the previous one plus the WAL', async () => {
  const dataDir = newTempDir();
  const model: State = new Map();
  const engine = await openPersistent(dataDir);
  let older: { lsn: number; path: string };
  let newer: { lsn: number; path: string };
  try {
    await putRange(engine, model, 'a', 0, 2000, 400);
    older = await engine.snapshot();
    await putRange(engine, model, 'b', 0, 2000, 400);
    newer = await engine.snapshot();
    await putRange(engine, model, 'c', 0, 500, 400);
  } finally {
    await engine.close();
  }
  const size = fs.statSync(newer.path).size;
  flipByte(newer.path, Math.floor(size / 2));

  const reopened = await openPersistent(dataDir);
  try {
    const report = reopened.persistenceStats()?.recovery;
    assert.ok(report !== null && report !== undefined);
    assert.deepEqual(report.rejectedSnapshots.map((rejected) => rejected.path), [newer.path]);
    assert.equal(report.snapshotLsn, older.lsn);
    assert.equal(report.snapshotPath, older.path);
    assert.deepEqual(sorted(await readState(reopened)), sorted(model));
  } finally {
    await reopened.close();
  }
});

test('a damaged only snapshot falls back to the WAL alone', async () => {
  const dataDir = newTempDir();
  const model: State = new Map();
  const engine = await openPersistent(dataDir);
  let only: { lsn: number; path: string };
  try {
    await putRange(engine, model, 'a', 0, 3000, 400);
    only = await engine.snapshot();
    await putRange(engine, model, 'b', 0, 100, 400);
  } finally {
    await engine.close();
  }
  fs.truncateSync(only.path, fs.statSync(only.path).size - 10); // no complete footer
  const reopened = await openPersistent(dataDir);
  try {
    const report = reopened.persistenceStats()?.recovery;
    assert.equal(report?.rejectedSnapshots.length, 1);
    assert.equal(report?.snapshotLsn, 0);
    assert.equal(report?.walRecords, 3100);
    assert.deepEqual(sorted(await readState(reopened)), sorted(model));
  } finally {
    await reopened.close();
  }
});
