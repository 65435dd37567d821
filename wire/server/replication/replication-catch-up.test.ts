// Replication with real processes (issue 12): a replica catches up from the primary's memory, from
// its WAL, and by a full snapshot, each while writes go on; afterwards every key, value, generation
// and content type on the replica equals the primary's. /status tells how each sync went.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertSameContents, DataDirs, startNode, status, waitConverged, waitUntil, WriteLoad } from './replication.fixture';
import type { ServerProcess } from '../server-process.fixture';

const dirs = new DataDirs();
const running = new Set<ServerProcess>();
after(async () => {
  await Promise.all([...running].map((node) => node.stop()));
  dirs.removeAll();
});

async function node(dataDir: string, options: Parameters<typeof startNode>[1] = {}): Promise<ServerProcess> {
  const started = await startNode(dataDir, options);
  running.add(started);
  void started.exited.then(() => running.delete(started));
  return started;
}

async function replication(server: ServerProcess): Promise<Record<string, unknown>> {
  return (await status(server)).replication;
}

async function waitLive(replica: ServerProcess): Promise<void> {
  await waitUntil('the replica to be connected', 15_000, async () => (await replication(replica))['connected'] === true);
}

test('a new replica full-syncs by snapshot under write load, then streams live: contents equal', async () => {
  const primary = await node(dirs.make('primary'));
  const load = await WriteLoad.open(primary);
  await load.burst(600);
  load.start();
  const replica = await node(dirs.make('replica'), { replicaOf: primary.wsUrl });
  await waitLive(replica);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await load.close();
  const lsn = await waitConverged(primary, replica);
  const records = await assertSameContents(primary, replica);
  const primaryView = await replication(primary);
  const replicaView = await replication(replica);
  console.log(`full sync: ${records} records, LSN ${lsn}, ${load.acknowledged} writes acknowledged, ${load.failures} failed`);
  assert.equal(load.failures, 0);
  assert.deepEqual(primaryView['syncs'], { memory: 0, wal: 0, snapshot: 1 });
  assert.equal(replicaView['lastSync'], 'snapshot');
  assert.equal(replicaView['fullSyncs'], 1);
  assert.equal(replicaView['historyId'], primaryView['historyId'], 'the replica follows the primary\'s history');
  assert.equal((await status(replica)).lastLsn, lsn, 'the replica\'s change log carries the primary\'s LSNs');
  await Promise.all([replica.stop(), primary.stop()]);
});

test('a replica killed with SIGKILL and restarted catches up from memory, without a full sync', async () => {
  const primary = await node(dirs.make('primary'));
  const replicaDir = dirs.make('replica');
  const load = await WriteLoad.open(primary);
  await load.burst(300);
  let replica = await node(replicaDir, { replicaOf: primary.wsUrl });
  await waitConverged(primary, replica);
  load.start();
  await new Promise((resolve) => setTimeout(resolve, 200));
  replica.child.kill('SIGKILL');
  await replica.exited;
  await new Promise((resolve) => setTimeout(resolve, 300));
  replica = await node(replicaDir, { replicaOf: primary.wsUrl });
  await waitLive(replica);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await load.close();
  await waitConverged(primary, replica);
  await assertSameContents(primary, replica);
  const replicaView = await replication(replica);
  assert.equal(replicaView['lastSync'], 'memory');
  assert.equal(replicaView['fullSyncs'], 0, 'no full sync after the restart');
  assert.deepEqual((await replication(primary))['syncs'], { memory: 1, wal: 0, snapshot: 1 });
  await Promise.all([replica.stop(), primary.stop()]);
});

test('a replica whose LSN left the primary\'s change log catches up from the WAL, under write load', async () => {
  // A 64-change window: a stopped replica falls out of it within a few writes.
  const primary = await node(dirs.make('primary'), { changeLogCapacity: 64 });
  const replicaDir = dirs.make('replica');
  const load = await WriteLoad.open(primary);
  let replica = await node(replicaDir, { replicaOf: primary.wsUrl });
  await load.burst(200);
  await waitConverged(primary, replica);
  await replica.stop();
  await load.burst(2000);
  load.start();
  replica = await node(replicaDir, { replicaOf: primary.wsUrl });
  await waitLive(replica);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await load.close();
  await waitConverged(primary, replica);
  const records = await assertSameContents(primary, replica);
  const replicaView = await replication(replica);
  const syncs = (await replication(primary))['syncs'] as Record<string, number>;
  console.log(`WAL catch-up: ${records} records, syncs ${JSON.stringify(syncs)}`);
  assert.equal(replicaView['lastSync'], 'wal');
  assert.equal(replicaView['fullSyncs'], 0);
  assert.equal(syncs['snapshot'], 1, 'only the first sync of the new replica was a full one');
  assert.equal(syncs['wal'], 1);
  await Promise.all([replica.stop(), primary.stop()]);
});

test('a replica far behind (the WAL it needs was dropped after a snapshot) gets a full snapshot, under write load', async () => {
  // Snapshots every second delete the WAL segments they cover; segments of 1 MiB roll quickly.
  const primary = await node(dirs.make('primary'), { snapshotIntervalSec: 1, changeLogCapacity: 64 });
  const replicaDir = dirs.make('replica');
  const load = await WriteLoad.open(primary);
  let replica = await node(replicaDir, { replicaOf: primary.wsUrl });
  await load.burst(100);
  await waitConverged(primary, replica);
  const stoppedAt = (await status(replica)).lastLsn;
  await replica.stop();
  // About 6 MiB of WAL, a snapshot, more writes, another snapshot: the WAL is kept back to the
  // older of the two kept snapshots, so once two snapshots past stoppedAt (at different LSNs) exist,
  // the segments holding stoppedAt + 1 are gone. Waited for by count, not by time: under load a
  // snapshot tick can take longer than its one-second interval.
  const snapshotsTaken = async (): Promise<number> => {
    const persistence = (await status(primary))['persistence'] as { snapshotsTaken?: number } | false;
    return persistence === false ? 0 : (persistence.snapshotsTaken ?? 0);
  };
  await load.burst(3000, 2048);
  const afterFirstBurst = await snapshotsTaken();
  await waitUntil('a snapshot after the first burst', 20_000, async () => (await snapshotsTaken()) > afterFirstBurst);
  await load.burst(200, 2048);
  const afterSecondBurst = await snapshotsTaken();
  await waitUntil('a snapshot after the second burst', 20_000, async () => (await snapshotsTaken()) > afterSecondBurst);
  load.start(2048);
  replica = await node(replicaDir, { replicaOf: primary.wsUrl });
  await waitLive(replica);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await load.close();
  await waitConverged(primary, replica);
  await assertSameContents(primary, replica);
  const replicaView = await replication(replica);
  console.log(`far behind: stopped at LSN ${stoppedAt}, syncs ${JSON.stringify((await replication(primary))['syncs'])}`);
  assert.equal(replicaView['lastSync'], 'snapshot');
  assert.equal(replicaView['fullSyncs'], 1, 'one full sync after the restart');
  assert.equal(((await replication(primary))['syncs'] as Record<string, number>)['snapshot'], 2);
  await Promise.all([replica.stop(), primary.stop()]);
});
