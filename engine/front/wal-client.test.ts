// The real log-writer worker end to end: WalClient in a temp dir, 10,000 changes, durable, closed,
// read back whole; durability notices arrive in order; an open on an unusable dir fails clearly.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Change } from '../layout/types';
import { randomChange, sameChange, seededRandom, testSeed } from '../layout/wal.fixture';
import { WalClient } from './wal-client';
import { WalReader } from './wal-reader';
import { tempDirMaker } from '../layout/temp-dirs.fixture';

const historyId = new Uint8Array(16).fill(5);
const newTempDir = tempDirMaker('tessera-walclient-');

function tempDir(): string {
  const directory = newTempDir();
  return directory;
}

function waitForDurable(client: WalClient, lsn: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (client.durableLsn >= lsn) return resolve();
    const timer = setTimeout(() => reject(new Error(`durable LSN ${client.durableLsn} did not reach ${lsn}`)), timeoutMs);
    client.onDurable((durable) => {
      if (durable >= lsn) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

for (const fsync of ['always', 'everysec'] as const) {
  test(`WalClient (fsync ${fsync}): 10,000 changes become durable and read back intact`, async () => {
    const seed = testSeed();
    console.log(`seed ${seed}`);
    const random = seededRandom(seed);
    const dataDir = tempDir();
    const client = await WalClient.open({ dataDir, historyId, fsync, segmentBytes: 256 * 1024, nextLsn: 1 });
    const notices: number[] = [];
    client.onDurable((durable) => notices.push(durable));
    const changes: Change[] = [];
    for (let lsn = 1; lsn <= 10_000; lsn++) {
      const change = randomChange(random, lsn, { keyBytesMax: 40, valueBytesMax: 400 });
      changes.push(change);
      client.append(change);
      // Spread the appends over several event-loop turns so several group commits happen.
      if (lsn % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitForDurable(client, 10_000, 20_000);
    assert.equal(client.durableLsn, 10_000);
    assert.equal(client.failed, null);
    for (let i = 1; i < notices.length; i++) assert.ok(notices[i]! > notices[i - 1]!, 'durable notices only move forward');
    const stats = client.stats();
    assert.equal(stats.writtenLsn, 10_000);
    assert.ok(stats.walBytes > 0 && stats.segments >= 2, `stats ${JSON.stringify({ ...stats, fsyncLatencyUs: stats.fsyncLatencyUs.length })}`);
    if (fsync === 'always') assert.ok(stats.fsyncs >= 1 && stats.fsyncLatencyUs.length >= 1);
    await client.close();
    const reader = new WalReader({ walDirectory: path.join(dataDir, 'wal'), fromLsn: 0, historyId });
    let count = 0;
    for (const record of reader.records()) {
      assert.ok(sameChange(record.toChange(), changes[record.lsn - 1]!), `record ${record.lsn} differs (seed ${seed})`);
      count++;
    }
    assert.equal(count, 10_000);
    assert.equal(reader.report.damage, null);
  });
}

test('WalClient continues a WAL across a restart and dropBefore deletes old segments', async () => {
  const dataDir = tempDir();
  const random = seededRandom(77);
  const changes: Change[] = [];
  const first = await WalClient.open({ dataDir, historyId, fsync: 'always', segmentBytes: 64 * 1024, nextLsn: 1 });
  for (let lsn = 1; lsn <= 2000; lsn++) {
    changes.push(randomChange(random, lsn));
    first.append(changes[lsn - 1]!);
  }
  await first.close();
  assert.equal(first.durableLsn, 2000);
  const second = await WalClient.open({ dataDir, historyId, fsync: 'always', segmentBytes: 64 * 1024, nextLsn: 2001 });
  assert.throws(() => second.append(randomChange(random, 5)), /expected LSN 2001/);
  for (let lsn = 2001; lsn <= 2500; lsn++) {
    changes.push(randomChange(random, lsn));
    second.append(changes[lsn - 1]!);
  }
  await waitForDurable(second, 2500, 10_000);
  const segmentsBefore = fs.readdirSync(path.join(dataDir, 'wal')).length;
  second.dropBefore(1500);
  await second.close();
  const segmentsAfter = fs.readdirSync(path.join(dataDir, 'wal')).length;
  assert.ok(segmentsAfter < segmentsBefore, `dropBefore deleted nothing (${segmentsBefore} -> ${segmentsAfter})`);
  const reader = new WalReader({ walDirectory: path.join(dataDir, 'wal'), fromLsn: 1500, historyId });
  let expected = 1501;
  for (const record of reader.records()) {
    assert.equal(record.lsn, expected);
    assert.ok(sameChange(record.toChange(), changes[record.lsn - 1]!));
    expected++;
  }
  assert.equal(expected, 2501);
  assert.ok(reader.report.firstLsn <= 1501 && reader.report.firstLsn > 1);
});

test('WalClient.open on a path that cannot hold a WAL rejects with the reason', async () => {
  const dataDir = tempDir();
  const blocker = path.join(dataDir, 'not-a-dir');
  fs.writeFileSync(blocker, 'x');
  await assert.rejects(WalClient.open({ dataDir: blocker, historyId, fsync: 'always', segmentBytes: 64 * 1024, nextLsn: 1 }), /could not open the WAL/);
});

function waitForFailure(client: WalClient, timeoutMs: number): Promise<Error> {
  return new Promise((resolve, reject) => {
    if (client.failed !== null) return resolve(client.failed);
    const timer = setTimeout(() => reject(new Error('the WAL never failed')), timeoutMs);
    client.onFailed((error) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}

for (const fault of ['ENOSPC', 'EIO'] as const) {
  test(`WalClient: ${fault} in the worker reaches the main thread, the durable LSN stops, nothing later is reported`, async () => {
    const dataDir = tempDir();
    const random = seededRandom(fault === 'EIO' ? 1 : 2);
    // Open does 2 fsyncs (the active segment and the spare); the next few commits succeed.
    const testOnlyFaults = fault === 'ENOSPC' ? { writeBytesMax: 300_000 } : { fsyncsBeforeFailure: 6 };
    const client = await WalClient.open({ dataDir, historyId, fsync: 'always', segmentBytes: 1024 * 1024, nextLsn: 1, testOnlyFaults });
    const notices: number[] = [];
    client.onDurable((durable) => notices.push(durable));
    const failure = waitForFailure(client, 20_000);
    const changes: Change[] = [];
    for (let lsn = 1; lsn <= 4000; lsn++) {
      changes.push(randomChange(random, lsn, { keyBytesMax: 40, valueBytesMax: 400 }));
      client.append(changes[lsn - 1]!);
      if (lsn % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const error = (await failure) as Error & { code?: string };
    assert.equal(error.code, fault);
    const durableAtFailure = client.durableLsn;
    assert.ok(durableAtFailure > 0 && durableAtFailure < 4000, `durable ${durableAtFailure} must stop short, after some progress`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(client.durableLsn, durableAtFailure, 'no progress after the failure');
    assert.ok(notices.every((notice) => notice <= durableAtFailure));
    await client.close();
    assert.equal(client.durableLsn, durableAtFailure, 'close does not make anything more durable after a failure');
    const reader = new WalReader({ walDirectory: path.join(dataDir, 'wal'), fromLsn: 0, historyId });
    let count = 0;
    for (const record of reader.records()) {
      assert.ok(sameChange(record.toChange(), changes[record.lsn - 1]!));
      count++;
    }
    assert.ok(count >= durableAtFailure, `every durable record is on disk (${count} >= ${durableAtFailure})`);
  });
}

test('onDurable fires for every advance even when the getter saw the LSN in shared memory first', async () => {
  const dataDir = tempDir();
  const client = await WalClient.open({ dataDir, historyId, fsync: 'always', segmentBytes: 64 * 1024, nextLsn: 1 });
  const random = seededRandom(8);
  let lastNotice = 0;
  client.onDurable((durable) => {
    lastNotice = durable;
  });
  for (let lsn = 1; lsn <= 300; lsn++) client.append(randomChange(random, lsn));
  await new Promise((resolve) => setImmediate(resolve)); // the turn's records go to the worker
  // Block this thread until shared memory shows 300: the worker's notice is then still queued here.
  const spinDeadline = Date.now() + 5_000;
  while (client.durableLsn < 300 && Date.now() < spinDeadline) {
    // Busy wait on purpose (bounded by time): the worker does not need this thread.
  }
  assert.equal(client.durableLsn, 300);
  const deadline = Date.now() + 10_000;
  while (lastNotice < 300 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(lastNotice, 300);
  await client.close();
});
