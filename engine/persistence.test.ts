// A persisting engine across restarts (issue 11): every record comes back with its value,
// generation, expiry, lastModified and content type; LSNs continue, and a subscriber resuming with
// readFrom(lsn) after the restart sees exactly the changes after lsn; records that expired while
// the node was down stay gone; one process per data dir; ops answer Recovering until recovery is done.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { Status, StatusError } from './layout/status';
import { SeededRandom, testSeed } from './layout/seeded-random';
import type { Change } from './layout/types';
import { memoryNs, openPersistent, readState, sorted, storeNs, writeMix, type State } from './persistence.fixture';
import { tempDirMaker } from './layout/temp-dirs.fixture';

const newTempDir = tempDirMaker('tessera-persist-');

/** A change as plain data (its key and value as text) for deepEqual. */
/** A standalone copy with key and value as text: a change is valid only during its listener call. */
function plain(change: Change): Omit<Change, 'key' | 'value'> & { key: string; value: string | null } {
  return { ...change, lsn: change.lsn, key: Buffer.from(change.key).toString(), value: change.value === null ? null : Buffer.from(change.value).toString() };
}

test('a restart recovers every record with its metadata; LSNs continue; readFrom after it has no gap and no duplicate', async (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (TESSERA_SEED=${seed} replays it)`);
  const dataDir = newTempDir();
  const model: State = new Map();
  const seen: ReturnType<typeof plain>[] = [];
  const first = await openPersistent(dataDir);
  let lastLsnBefore: number;
  try {
    first.changes.subscribe((change) => seen.push(plain(change)));
    await writeMix(first, model, new SeededRandom(seed), 600, 150);
    assert.equal((await first.put(memoryNs, 'm1', 'from memory', { contentType: 'text/x-m' })).status, Status.Ok);
    assert.deepEqual(sorted(await readState(first)), sorted(model), 'the engine answered what the model holds');
    lastLsnBefore = first.changes.lastLsn;
    assert.equal(seen.length, lastLsnBefore, 'one change per LSN, from 1');
  } finally {
    await first.close();
  }

  const second = await openPersistent(dataDir);
  try {
    assert.deepEqual(sorted(await readState(second)), sorted(model), 'every record with value, generation, expiry, lastModified, content type');
    const memoryRecord = await second.get(memoryNs, 'm1');
    assert.equal(memoryRecord.status, Status.Ok);
    assert.equal(memoryRecord.contentType, 'text/x-m');
    assert.equal(second.changes.lastLsn, lastLsnBefore, 'the LSN continues where it stopped');
    const report = second.persistenceStats()?.recovery;
    assert.ok(report !== null && report !== undefined);
    assert.equal(report.walRecords, lastLsnBefore);
    assert.equal(report.walDamage, null);
    assert.equal(report.lastLsn, lastLsnBefore);

    // A subscriber that had seen up to `resumeAt` before the restart resumes there.
    for (const resumeAt of [0, 1, Math.floor(lastLsnBefore / 2), lastLsnBefore - 1, lastLsnBefore]) {
      const resumed = second.changes.readFrom(resumeAt);
      assert.ok(Array.isArray(resumed), `readFrom(${resumeAt}) is held`);
      assert.deepEqual(resumed.map(plain), seen.filter((change) => change.lsn > resumeAt), `readFrom(${resumeAt})`);
    }
    // New writes take the next LSNs, and a subscriber at the old end gets exactly them.
    const put = await second.put(storeNs, 'after-restart', 'new');
    assert.equal(put.status, Status.Ok);
    assert.equal(second.changes.lastLsn, lastLsnBefore + 1);
    const tail = second.changes.readFrom(lastLsnBefore);
    assert.ok(Array.isArray(tail));
    assert.deepEqual(tail.map((change) => [change.lsn, change.kind, Buffer.from(change.key).toString()]), [[lastLsnBefore + 1, 'put', 'after-restart']]);
  } finally {
    await second.close();
  }

  // A third start continues after the second start's write too.
  const third = await openPersistent(dataDir);
  try {
    assert.equal(third.changes.lastLsn, lastLsnBefore + 1);
    assert.equal((await third.get(storeNs, 'after-restart')).generation, 1);
  } finally {
    await third.close();
  }
});

test('records whose expiry passed while the node was down are not resurrected', async () => {
  const dataDir = newTempDir();
  const first = await openPersistent(dataDir);
  let shortExpiry = 0;
  try {
    for (let index = 0; index < 20; index++) {
      const short = await first.put(storeNs, `short${index}`, 'gone soon', { ttl: 1 });
      assert.equal(short.status, Status.Ok);
      shortExpiry = Math.max(shortExpiry, short.expiry);
      assert.equal((await first.put(storeNs, `long${index}`, 'stays', { ttl: 3600 })).status, Status.Ok);
    }
    // A touch that shortens a record's life is replayed with its expiry too.
    assert.equal((await first.touch(storeNs, 'long0', 1)).status, Status.Ok);
  } finally {
    await first.close();
  }
  // Wait (bounded) until the short records' expiry second has passed.
  for (let waits = 0; waits < 40 && Math.floor(Date.now() / 1000) < shortExpiry + 1; waits++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(Math.floor(Date.now() / 1000) > shortExpiry, 'the short TTL has passed');

  const second = await openPersistent(dataDir);
  try {
    // Nothing expired is visible; the sweep then removes what the log replayed (a later touch in
    // the log could have extended it, so recovery applies puts as logged).
    const state = await readState(second);
    assert.deepEqual([...state.keys()].sort(), Array.from({ length: 19 }, (_, index) => `long${index + 1}`).sort());
    assert.equal((await second.get(storeNs, 'short3')).status, Status.NotFound);
    assert.equal((await second.get(storeNs, 'long0')).status, Status.NotFound);
    assert.equal((await second.get(storeNs, 'long5')).status, Status.Ok);
    await second.sweepAll();
    assert.equal(second.stats().namespaces.find((namespace) => namespace.name === storeNs)?.records, 19, 'the sweep removed the expired records');
  } finally {
    await second.close();
  }
});

test('a second engine on the same data dir (another process) refuses to open, naming the dir', async () => {
  const dataDir = newTempDir();
  const engine = await openPersistent(dataDir);
  try {
    assert.equal((await engine.put(storeNs, 'k', 'v')).status, Status.Ok);
    const script = `
      const { openPersistent } = require(${JSON.stringify(path.join(__dirname, 'persistence.fixture.js'))});
      openPersistent(${JSON.stringify(dataDir)}).then(
        async (engine) => { console.log('opened'); await engine.close(); process.exit(0); },
        (error) => { console.log(error.message); process.exit(3); });`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(child.status, 3, child.stdout + child.stderr);
    assert.match(child.stdout, new RegExp(`data dir ${path.resolve(dataDir)} is in use by process ${process.pid}`));
    assert.equal((await engine.get(storeNs, 'k')).status, Status.Ok, 'the running engine is untouched');
  } finally {
    await engine.close();
  }
});

test('ops issued before recovery is done answer Recovering; after engine.ready they answer Ok', async () => {
  const dataDir = newTempDir();
  const records = 20_000;
  const first = await openPersistent(dataDir, { fsync: 'never' });
  try {
    for (let done = 0; done < records; done += 1000) {
      const ops = Array.from({ length: 1000 }, (_, index) => ({ op: 'put' as const, ns: storeNs, key: `r${done + index}`, value: `value ${done + index}` }));
      assert.ok((await first.batch(ops)).every((result) => result.status === Status.Ok));
    }
  } finally {
    await first.close();
  }

  const second = await openPersistent(dataDir, { fsync: 'never' }, { awaitRecovery: false });
  try {
    assert.equal(second.persistenceStats()?.state, 'recovering');
    const early = await Promise.all([second.get(storeNs, 'r1'), second.put(storeNs, 'early', 'x'), second.delete(storeNs, 'r2')]);
    assert.deepEqual(early.map((result) => result.status), [Status.Recovering, Status.Recovering, Status.Recovering]);
    await assert.rejects(second.scan(storeNs), (error: unknown) => error instanceof StatusError && error.status === Status.Recovering);
    await second.ready;
    assert.equal(second.persistenceStats()?.state, 'ready');
    assert.equal(second.persistenceStats()?.recovery?.walRecords, records);
    const get = await second.get(storeNs, 'r1');
    assert.equal(get.status, Status.Ok);
    assert.equal(Buffer.from(get.value ?? []).toString(), 'value 1');
    assert.equal((await second.put(storeNs, 'late', 'x')).status, Status.Ok);
    assert.equal((await second.get(storeNs, 'early')).status, Status.NotFound, 'the refused put was not applied');
    assert.equal(second.stats().namespaces[0]?.records, records + 1);
  } finally {
    await second.close();
  }
});

test('a touch that extended a TTL survives a restart after the original TTL ran out (sliding TTL)', async () => {
  const dataDir = newTempDir();
  const first = await openPersistent(dataDir);
  let shortExpiry = 0;
  try {
    const put = await first.put(storeNs, 'session', 'still here', { ttl: 1 });
    assert.equal(put.status, Status.Ok);
    shortExpiry = put.expiry;
    assert.equal((await first.touch(storeNs, 'session', 3600)).status, Status.Ok);
  } finally {
    await first.close();
  }
  for (let waits = 0; waits < 40 && Math.floor(Date.now() / 1000) <= shortExpiry; waits++) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(Math.floor(Date.now() / 1000) > shortExpiry, 'the first TTL has passed');
  const second = await openPersistent(dataDir);
  try {
    const got = await second.get(storeNs, 'session');
    assert.equal(got.status, Status.Ok, 'the replayed touch found its record');
    assert.equal(new TextDecoder().decode(got.value!), 'still here');
    await second.sweepAll();
    assert.equal((await second.get(storeNs, 'session')).status, Status.Ok, 'the sweep leaves a record whose TTL was extended');
  } finally {
    await second.close();
  }
});
