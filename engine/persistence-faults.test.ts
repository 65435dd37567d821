// Disk faults and the reply-before-fsync barrier through the whole engine (issue 11), with the
// log-writer's test-only fault layer (layout/file-layer.ts withTestOnlyFaults):
// - an fsync EIO or a full disk never becomes an acknowledged write: the held writes and every later
//   one answer PersistenceFailed, later ones are not applied, reads go on, and a restart without the
//   fault finds every write that was answered Ok;
// - no answer to a `disk` write is delivered before the fsync that covers it has returned, while a
//   `memory` write is answered before it (so the check can fail).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestOnlyFaults } from './layout/file-layer';
import { Status } from './layout/status';
import { memoryNs, openPersistent, storeNs } from './persistence.fixture';
import { tempDirMaker } from './layout/temp-dirs.fixture';

const newTempDir = tempDirMaker('tessera-faults-');

const faultCases: { name: string; faults: TestOnlyFaults; failure: RegExp }[] = [
  { name: 'fsync EIO', faults: { fsyncsBeforeFailure: 12 }, failure: /EIO/ },
  { name: 'ENOSPC (disk full)', faults: { writeBytesMax: 120_000 }, failure: /ENOSPC/ },
];

for (const { name, faults, failure } of faultCases) {
  test(`${name}: writes answer PersistenceFailed, reads go on, nothing acknowledged is lost`, async (t) => {
    const dataDir = newTempDir();
    const failures: Error[] = [];
    const engine = await openPersistent(dataDir, {}, { testOnlyWalFaults: faults, onPersistenceFailed: (error) => failures.push(error) });
    const acknowledged = new Map<string, { value: string; generation: number }>();
    const refused: string[] = [];
    try {
      // Rounds of 8 concurrent 1 KiB puts (one fsync covers a round) until the fault has hit.
      for (let round = 0; round < 400 && refused.length === 0; round++) {
        const keys = Array.from({ length: 8 }, (_, index) => `r${round}-${index}`);
        const results = await Promise.all(keys.map((key) => engine.put(storeNs, key, `${key}:`.padEnd(1024, '.'))));
        results.forEach((result, index) => {
          const key = keys[index]!;
          if (result.status === Status.Ok) acknowledged.set(key, { value: `${key}:`.padEnd(1024, '.'), generation: result.generation });
          else {
            assert.equal(result.status, Status.PersistenceFailed, `${key}: ${Status[result.status]}`);
            refused.push(key);
          }
        });
      }
      assert.ok(acknowledged.size > 0, 'some writes were acknowledged before the fault');
      assert.ok(refused.length > 0, 'the fault refused the writes held for the failed fsync');
      t.diagnostic(`${acknowledged.size} writes acknowledged, ${refused.length} refused when the fault hit`);
      const stats = engine.persistenceStats();
      assert.equal(stats?.state, 'failed');
      assert.match(stats?.failure ?? '', failure);
      assert.equal(failures.length, 1, 'onPersistenceFailed once');

      // Later writes, in both namespaces, are refused before they reach a shard: not applied.
      const later = await Promise.all([
        engine.put(storeNs, 'later', 'x'),
        engine.put(memoryNs, 'later', 'x'),
        engine.delete(storeNs, [...acknowledged.keys()][0]!),
        engine.touch(storeNs, [...acknowledged.keys()][0]!, 60),
      ]);
      assert.deepEqual(later.map((result) => result.status), Array(4).fill(Status.PersistenceFailed));
      assert.equal((await engine.get(storeNs, 'later')).status, Status.NotFound, 'a refused write was not applied');
      assert.equal((await engine.get(memoryNs, 'later')).status, Status.NotFound);
      // Reads go on.
      for (const [key, { value, generation }] of acknowledged) {
        const read = await engine.get(storeNs, key);
        assert.equal(read.status, Status.Ok, key);
        assert.equal(Buffer.from(read.value ?? []).toString(), value);
        assert.equal(read.generation, generation);
      }
      assert.ok((await engine.scan(storeNs, { limit: 10 })).records.length > 0);
    } finally {
      await engine.close();
    }

    const reopened = await openPersistent(dataDir);
    try {
      for (const [key, { value, generation }] of acknowledged) {
        const read = await reopened.get(storeNs, key);
        assert.equal(read.status, Status.Ok, `acknowledged ${key} survived`);
        assert.equal(Buffer.from(read.value ?? []).toString(), value);
        assert.equal(read.generation, generation);
      }
      assert.equal((await reopened.get(storeNs, 'later')).status, Status.NotFound);
      // A write refused while held may or may not have reached the file; never anything else.
      for (const key of refused) {
        const read = await reopened.get(storeNs, key);
        if (read.status === Status.Ok) assert.equal(Buffer.from(read.value ?? []).toString(), `${key}:`.padEnd(1024, '.'));
        else assert.equal(read.status, Status.NotFound);
      }
      assert.equal((await reopened.put(storeNs, 'after', 'y')).status, Status.Ok, 'a healthy disk takes writes again');
    } finally {
      await reopened.close();
    }
  });
}

test('reply-before-fsync barrier: a disk write is answered only after the fsync covering it returned', async () => {
  const delayMs = 300;
  const dataDir = newTempDir();
  const engine = await openPersistent(dataDir, {}, { testOnlyWalFaults: { fsyncDelayMs: delayMs } });
  try {
    for (let round = 0; round < 3; round++) {
      const fsyncsBefore = engine.persistenceStats()?.fsyncs ?? 0;
      const started = performance.now();
      const put = await engine.put(storeNs, `disk${round}`, 'durable');
      const elapsedMs = performance.now() - started;
      assert.equal(put.status, Status.Ok);
      const lsn = engine.changes.lastLsn;
      const stats = engine.persistenceStats();
      assert.ok(stats !== null);
      assert.ok(stats.durableLsn >= lsn, `durable LSN ${stats.durableLsn} covers the answered write ${lsn}`);
      assert.ok(stats.fsyncs > fsyncsBefore, 'an fsync returned before the answer');
      // Timer granularity slack only: the answer cannot come before the fsync's sleep ended.
      assert.ok(elapsedMs >= delayMs - 5, `answered after ${elapsedMs.toFixed(1)} ms, the fsync takes ${delayMs} ms`);
    }

    // A `memory` write is answered before its fsync: the same checks would fail for it.
    const fsyncsBefore = engine.persistenceStats()?.fsyncs ?? 0;
    const put = await engine.put(memoryNs, 'fast', 'memory');
    assert.equal(put.status, Status.Ok);
    const lsn = engine.changes.lastLsn;
    const stats = engine.persistenceStats();
    assert.ok(stats !== null);
    assert.ok(stats.durableLsn < lsn, `a memory ack is not durable yet (durable ${stats.durableLsn}, write ${lsn})`);
    assert.equal(stats.fsyncs, fsyncsBefore, 'no fsync returned before the memory answer');
  } finally {
    await engine.close();
  }
});

test('a log-writer thread that dies: writes answer PersistenceFailed, reads go on, and close() still returns', async () => {
  // Catch the log writer's Worker as it is made (stands in for an uncaught error or an OOM in it).
  // The CommonJS module object itself (not an ES namespace, whose exports are read-only getters).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const threads = require('node:worker_threads') as typeof import('node:worker_threads');
  const made: InstanceType<typeof threads.Worker>[] = [];
  const Original = threads.Worker;
  const patched = class extends Original {
    constructor(...args: ConstructorParameters<typeof Original>) {
      super(...args);
      if (String(args[0]).includes('log-writer')) made.push(this);
    }
  };
  (threads as { Worker: typeof Original }).Worker = patched;
  let engine;
  try {
    engine = await openPersistent(newTempDir());
  } finally {
    (threads as { Worker: typeof Original }).Worker = Original;
  }
  assert.equal((await engine.put(storeNs, 'before', 'v')).status, Status.Ok);
  assert.equal(made.length, 1, 'the log writer was caught');
  await made[0]!.terminate();
  for (let waits = 0; waits < 100 && engine.persistenceStats()?.state !== 'failed'; waits++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal((await engine.put(storeNs, 'after', 'v')).status, Status.PersistenceFailed);
  assert.equal((await engine.get(storeNs, 'before')).status, Status.Ok);
  const closed = await Promise.race([engine.close().then(() => 'closed'), new Promise((resolve) => setTimeout(() => resolve('hung'), 5000).unref())]);
  assert.equal(closed, 'closed');
});
