// Cutting a rejoining node's divergent tail before recovery (front/divergent-tail.ts), through the
// whole engine: after the cut the node recovers to exactly switchLsn - 1 (the state before the
// tail, as a model says); snapshots started in the tail, or that may have copied a tail change
// (file time after the tail's earliest change), are deleted; when what stays cannot recover to the
// switch (the WAL no longer reaches back), nothing is touched.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Engine } from './front/engine';
import { Status } from './layout/status';
import { openPersistent, readState, snapshotFiles, sorted, storeNs, type State } from './persistence.fixture';
import { tempDirMaker } from './layout/temp-dirs.fixture';

const newTempDir = tempDirMaker('tessera-divergent-');

async function putKeys(engine: Engine, model: State | null, keys: string[], tag: string, valueBytes = 0): Promise<void> {
  const valueOf = (key: string): string => `${key} ${tag}`.padEnd(valueBytes, '#');
  const results = await engine.batch(keys.map((key) => ({ op: 'put' as const, ns: storeNs, key, value: valueOf(key), contentType: 'text/plain' })));
  results.forEach((result, index) => {
    assert.equal(result.status, Status.Ok);
    model?.set(keys[index]!, { value: valueOf(keys[index]!), generation: result.generation, expiry: result.expiry, lastModified: result.lastModified, contentType: 'text/plain' });
  });
}

const range = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, index) => `${prefix}${from + index}`);

/** 100 shared changes (LSN 1..100, in the model), then `tail` writes the divergent ones; closed. */
async function dataDirWithTail(tail: (engine: Engine) => Promise<void>, beforeTail?: (engine: Engine) => Promise<void>): Promise<{ dataDir: string; model: State; historyId: Uint8Array }> {
  const dataDir = newTempDir();
  const model: State = new Map();
  const engine = await openPersistent(dataDir);
  await putKeys(engine, model, range('a/', 0, 100), 'shared');
  assert.equal(engine.changes.lastLsn, 100);
  await beforeTail?.(engine);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await tail(engine);
  const historyId = engine.persistence!.dataDir.historyId;
  await engine.close();
  return { dataDir, model, historyId };
}

async function divergentWrites(engine: Engine): Promise<void> {
  await putKeys(engine, null, range('a/', 0, 20), 'divergent');
  await putKeys(engine, null, range('b/', 0, 10), 'divergent');
}

test('the tail is cut before recovery: the node recovers to switchLsn - 1 with the state before the tail; a snapshot before it stays', async () => {
  const { dataDir, model, historyId } = await dataDirWithTail(divergentWrites, async (engine) => void (await engine.snapshot()));
  const engine = await openPersistent(dataDir, {}, { rejoin: { previousHistoryId: historyId, switchLsn: 101 } });
  try {
    assert.deepEqual(engine.persistence!.divergentTail, { cut: true, switchLsn: 101, droppedChanges: 30, droppedKeys: 30, droppedSnapshots: 0 });
    assert.equal(engine.changes.lastLsn, 100);
    assert.equal(engine.persistenceStats()!.recovery!.snapshotLsn, 100, 'recovered from the snapshot taken before the tail');
    assert.deepEqual(sorted(await readState(engine)), sorted(model));
  } finally {
    await engine.close();
  }
});

test('snapshots started in the tail, or written after its first change, are deleted; the WAL from LSN 0 recovers the switch', async () => {
  let early = '';
  const { dataDir, model, historyId } = await dataDirWithTail(async (engine) => {
    await divergentWrites(engine);
    await engine.snapshot();
    // The snapshot of LSN 100 looks as if it ran while the tail was written (a fuzzy copy may hold tail changes).
    const now = new Date();
    fs.utimesSync(path.join(dataDir2(engine), 'snapshots', early), now, now);
  }, async (engine) => {
    await engine.snapshot();
    early = snapshotFiles(dataDir2(engine))[0]!;
  });
  assert.equal(snapshotFiles(dataDir).length, 2);
  const engine = await openPersistent(dataDir, {}, { rejoin: { previousHistoryId: historyId, switchLsn: 101 } });
  try {
    assert.deepEqual(engine.persistence!.divergentTail, { cut: true, switchLsn: 101, droppedChanges: 30, droppedKeys: 30, droppedSnapshots: 2 });
    assert.deepEqual(snapshotFiles(dataDir), []);
    assert.equal(engine.changes.lastLsn, 100);
    assert.deepEqual(sorted(await readState(engine)), sorted(model));
  } finally {
    await engine.close();
  }
});

test('when the WAL no longer reaches back to the switch, nothing is cut (a full sync follows): the data dir recovers as it was', async () => {
  const dataDir = newTempDir();
  const engine = await openPersistent(dataDir);
  // Three snapshots: the WAL is kept back to the older of the two newest only (LSN 200); 1.5 MB
  // per round fills more than one 1 MiB segment, so the segments before LSN 200 are deleted.
  for (let round = 0; round < 3; round++) {
    await putKeys(engine, null, range(`r${round}/`, 0, 100), 'written', 15_000);
    await engine.snapshot();
  }
  const historyId = engine.persistence!.dataDir.historyId;
  await engine.close();
  const before = snapshotFiles(dataDir);
  const reopened = await openPersistent(dataDir, {}, { rejoin: { previousHistoryId: historyId, switchLsn: 150 } });
  try {
    const report = reopened.persistence!.divergentTail;
    assert.equal(report?.cut, false);
    assert.match(report.cut === false ? report.reason : '', /records are missing/);
    assert.equal(reopened.changes.lastLsn, 300, 'recovered as it was');
    assert.deepEqual(snapshotFiles(dataDir), before);
  } finally {
    await reopened.close();
  }
});

test('no tail, or another history: nothing to cut', async () => {
  const { dataDir, historyId } = await dataDirWithTail(async () => undefined);
  for (const rejoin of [{ previousHistoryId: historyId, switchLsn: 101 }, { previousHistoryId: new Uint8Array(16).fill(7), switchLsn: 50 }]) {
    const engine = await openPersistent(dataDir, {}, { rejoin });
    try {
      assert.equal(engine.persistence!.divergentTail, null);
      assert.equal(engine.changes.lastLsn, 100);
    } finally {
      await engine.close();
    }
  }
});

function dataDir2(engine: Engine): string {
  return engine.persistence!.dataDir.directory;
}
