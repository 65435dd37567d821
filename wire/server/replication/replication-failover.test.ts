// Failover with real processes (issue 12): the primary is killed with SIGKILL under `ack:
// "replica"` writes (minReplicas 2), a replica is promoted with `tessera promote`: every
// acknowledged write is on it, it takes writes at epoch 2 under a new history id that remembers
// the old one; the other replica and the old primary rejoin it and converge; the promoted node
// restarts on its data dir across the history switch.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { connect, type Client } from '../../client';
import { cliPath, type ServerProcess } from '../server-process.fixture';
import { TestProxy } from '../subscriptions/proxy.fixture';
import { assertSameContents, DataDirs, startNode, status, waitConverged, waitUntil, type NodeOptions } from './replication.fixture';

const dirs = new DataDirs();
const running = new Set<ServerProcess>();
after(async () => {
  await Promise.all([...running].map((node) => node.stop()));
  dirs.removeAll();
});

async function node(dataDir: string, options: NodeOptions): Promise<ServerProcess> {
  const started = await startNode(dataDir, options);
  running.add(started);
  void started.exited.then(() => running.delete(started));
  return started;
}

const settings: NodeOptions = {
  namespaces: [{ name: 'content', mode: 'store', ack: 'replica', maxKeyBytes: 256, maxValueBytes: 64 * 1024 }],
  engine: { minReplicas: 2, replicaAckTimeoutMs: 5000 },
};

function runCli(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

/** Writers on distinct keys (each key written once): an acknowledged put is (key, value) for sure. */
async function writeUntilKilled(clients: Client[], acknowledged: Map<string, string>, stop: () => boolean): Promise<void> {
  await Promise.all(clients.map(async (client, lane) => {
    for (let index = 0; index < 100_000 && !stop(); index++) {
      const key = `w/${lane}/${index}`;
      const value = `value ${lane} ${index}`;
      try {
        await client.put('content', key, value);
        acknowledged.set(key, value);
      } catch {
        return; // the primary died: this lane is done
      }
    }
  }));
}

test('primary killed under ack "replica" writes, replica promoted: every acknowledged write is on it; the others rejoin and converge', async () => {
  const primaryDir = dirs.make('primary');
  const firstDir = dirs.make('first');
  const secondDir = dirs.make('second');
  let primary = await node(primaryDir, settings);
  let first = await node(firstDir, { ...settings, replicaOf: primary.wsUrl });
  let second = await node(secondDir, { ...settings, replicaOf: primary.wsUrl });
  await waitConverged(primary, first);
  await waitConverged(primary, second);
  const oldHistory = (await status(primary)).replication['historyId'];

  const clients = await Promise.all([0, 1, 2].map(() => connect(primary.wsUrl, { reconnect: false })));
  const acknowledged = new Map<string, string>();
  let killed = false;
  const writing = writeUntilKilled(clients, acknowledged, () => killed);
  await waitUntil('some acknowledged writes', 15_000, async () => acknowledged.size >= 300);
  primary.child.kill('SIGKILL');
  killed = true;
  await primary.exited;
  await writing;
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));

  const promoted = await runCli(['promote', '--url', first.httpUrl]);
  assert.equal(promoted.code, 0, promoted.stdout);
  const answer = JSON.parse(promoted.stdout) as { epoch: number; historyId: string; previousHistoryId: string; switchLsn: number };
  assert.equal(answer.epoch, 2);
  assert.equal(answer.previousHistoryId, oldHistory);
  assert.notEqual(answer.historyId, oldHistory);

  // Every acknowledged write is on the promoted replica.
  const reader = await connect(first.wsUrl, { reconnect: false });
  let missing = 0;
  for (const [key, value] of acknowledged) {
    const found = await reader.get('content', key);
    if (found === null || Buffer.from(found.value).toString() !== value) missing++;
  }
  await reader.close();
  console.log(`failover: ${acknowledged.size} acknowledged writes, ${missing} missing on the promoted replica, switch LSN ${answer.switchLsn}`);
  assert.equal(missing, 0);
  const view = (await status(first)).replication;
  assert.deepEqual([view['role'], view['epoch'], view['historyId'], view['previousHistoryId'], view['switchLsn']], ['primary', 2, answer.historyId, oldHistory, answer.switchLsn]);

  // The other replica and the old primary follow the new primary; writes go on there (minReplicas 2).
  await second.stop();
  second = await node(secondDir, { ...settings, replicaOf: first.wsUrl });
  primary = await node(primaryDir, { ...settings, replicaOf: first.wsUrl });
  await waitUntil('both to follow the new primary', 20_000, async () =>
    (await status(second)).replication['connected'] === true && (await status(primary)).replication['connected'] === true);
  const writer = await connect(first.wsUrl, { reconnect: false });
  for (let index = 0; index < 50; index++) await writer.put('content', `after/${index}`, `after ${index}`);
  await writer.close();
  await waitConverged(first, second);
  await waitConverged(first, primary);
  await assertSameContents(first, second);
  await assertSameContents(first, primary);
  const secondView = (await status(second)).replication;
  const oldPrimaryView = (await status(primary)).replication;
  console.log(`rejoin: second replica synced by ${String(secondView['lastSync'])} (full syncs ${String(secondView['fullSyncs'])}), old primary by ${String(oldPrimaryView['lastSync'])}; new primary syncs ${JSON.stringify((await status(first)).replication['syncs'])}`);
  assert.equal(secondView['epoch'], 2);
  assert.equal(secondView['historyId'], answer.historyId);
  assert.equal(oldPrimaryView['historyId'], answer.historyId);

  // The promoted node restarts on its data dir across the history switch, still at epoch 2.
  const lastLsn = (await status(first)).lastLsn;
  await Promise.all([second.stop(), primary.stop()]);
  await first.stop();
  first = await node(firstDir, settings);
  const restarted = await status(first);
  assert.equal(restarted.lastLsn, lastLsn);
  assert.deepEqual([restarted.replication['epoch'], restarted.replication['historyId']], [2, answer.historyId]);
  await first.stop();
});

test('fencing: a stale primary (SIGSTOP while its replica is promoted) cannot acknowledge an ack "replica" write, and a replica of the new epoch refuses to follow it', async () => {
  const acks: NodeOptions = { ...settings, engine: { minReplicas: 1, replicaAckTimeoutMs: 400 } };
  const stale = await node(dirs.make('stale'), acks);
  const first = await node(dirs.make('first'), { ...acks, replicaOf: stale.wsUrl });
  const secondDir = dirs.make('second');
  let second = await node(secondDir, { ...acks, replicaOf: stale.wsUrl });
  const client = await connect(stale.wsUrl, { reconnect: false });
  try {
    await client.put('content', 'before', 'acknowledged by replicas');
    await waitConverged(stale, first);
    await waitConverged(stale, second);
    process.kill(stale.child.pid!, 'SIGSTOP');
    let resumed = false;
    try {
      const promoted = await runCli(['promote', '--url', first.httpUrl]);
      assert.equal(promoted.code, 0, promoted.stdout);
      // The other replica is pointed at the new primary and takes on its epoch.
      await second.stop();
      second = await node(secondDir, { ...acks, replicaOf: first.wsUrl });
      await waitUntil('the second replica to follow the new primary', 15_000, async () => (await status(second)).replication['epoch'] === 2);
      // Then it is pointed back at the stale primary: its hello says epoch 2, the stale one is at 1.
      await second.stop();
      process.kill(stale.child.pid!, 'SIGCONT');
      resumed = true;
      second = await node(secondDir, { ...acks, replicaOf: stale.wsUrl });
    } finally {
      if (!resumed) process.kill(stale.child.pid!, 'SIGCONT');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await status(second)).replication['connected'], false, 'a replica of epoch 2 does not follow an epoch-1 primary');
    await assert.rejects(client.put('content', 'stale', 'must not be acknowledged'), (error: unknown) => error instanceof Error && (error as { status?: string }).status === 'NotEnoughReplicas');
    const staleView = (await status(stale)).replication;
    assert.equal(staleView['epoch'], 1);
    assert.deepEqual(staleView['replicas'], [], 'no replica follows the stale primary');
    const reader = await connect(first.wsUrl, { reconnect: false });
    assert.equal(await reader.get('content', 'stale'), null, 'the new primary never saw the stale write');
    await reader.close();
  } finally {
    await client.close();
    await Promise.all([second.stop(), first.stop(), stale.stop()]);
  }
});

test('an old primary that wrote past the promotion rejoins as a replica: its divergent tail is cut (logged with counts) and it catches up without a full sync', async () => {
  const disk: NodeOptions = { namespaces: [{ name: 'content', mode: 'store', ack: 'disk', maxKeyBytes: 256, maxValueBytes: 64 * 1024 }] };
  const oldDir = dirs.make('old');
  let old = await node(oldDir, disk);
  const proxy = await TestProxy.start(old.port);
  const promotedNode = await node(dirs.make('promoted'), { ...disk, replicaOf: `ws://127.0.0.1:${proxy.port}/v1/ws` });
  const client = await connect(old.wsUrl, { reconnect: false });
  try {
    for (let index = 0; index < 20; index++) await client.put('content', `shared/${index}`, `both have it ${index}`);
    await waitConverged(old, promotedNode);
    // A snapshot before the cut stays (it holds no divergent change); one taken in the tail goes.
    const snapshotOld = async (): Promise<void> => assert.equal((await fetch(`${old.httpUrl}/v1/admin/snapshot`, { method: 'POST' })).status, 200);
    await snapshotOld();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The link is cut: what follows is acknowledged on disk by the old primary only.
    proxy.refusing = true;
    proxy.cut();
    await waitUntil('the replica to notice the cut', 10_000, async () => (await status(promotedNode)).replication['connected'] === false);
    for (let index = 0; index < 10; index++) await client.put('content', `tail/${index}`, `only the old primary ${index}`);
    await snapshotOld();
    for (let index = 10; index < 15; index++) await client.put('content', `tail/${index}`, `only the old primary ${index}`);
    old.child.kill('SIGKILL');
    await old.exited;
    await proxy.close();
    const promoted = await runCli(['promote', '--url', promotedNode.httpUrl]);
    assert.equal(promoted.code, 0, promoted.stdout);
    const writer = await connect(promotedNode.wsUrl, { reconnect: false });
    for (let index = 0; index < 5; index++) await writer.put('content', `new/${index}`, `after the promotion ${index}`);
    await writer.close();
    old = await node(oldDir, { ...disk, replicaOf: promotedNode.wsUrl });
    await waitConverged(promotedNode, old);
    const records = await assertSameContents(promotedNode, old);
    assert.equal(records, 25, '20 shared + 5 new; the 15 divergent records are gone');
    const view = (await status(old)).replication;
    assert.deepEqual([view['lastSync'], view['fullSyncs'], view['epoch']], ['memory', 0, 2], 'a partial sync from memory, no full sync');
    assert.equal(((await status(promotedNode)).replication['syncs'] as Record<string, number>)['snapshot'], 0, 'the new primary served no full sync');
    const cut = old.logs.find((line) => line.includes('dropped the divergent tail'));
    assert.ok(cut !== undefined && cut.includes('"droppedChanges":15') && cut.includes('"droppedKeys":15') && cut.includes('"droppedSnapshots":1'), `the cut tail is logged with its counts: ${cut}`);
  } finally {
    await client.close().catch(() => undefined);
    await Promise.all([old.stop(), promotedNode.stop()]);
  }
});

test('a subscriber resumes across a failover with fromLsn: the same LSNs on the promoted replica, no gap, no duplicate', async () => {
  // `disk` acks: after the promotion the node has no replica of its own and still takes writes.
  const acks: NodeOptions = { namespaces: [{ name: 'content', mode: 'store', ack: 'disk' }] };
  const primary = await node(dirs.make('primary'), acks);
  const replica = await node(dirs.make('replica'), { ...acks, replicaOf: primary.wsUrl });
  await waitUntil('the replica to connect', 15_000, async () => (await status(replica)).replication['connected'] === true);
  const writer = await connect(primary.wsUrl, { reconnect: false });
  const watcher = await connect(primary.wsUrl, { reconnect: false });
  const fromLsn = (await status(primary)).lastLsn;
  const before = watcher.subscribe({ ns: 'content', prefix: 'feed/', fromLsn });
  await before.ready;
  for (let index = 0; index < 30; index++) await writer.put('content', `feed/${index}`, `event ${index}`);
  const seen: { lsn: number; key: string }[] = [];
  for (let step = 0; step < 30; step++) {
    const next = await before.next();
    if (next.done === true) break;
    seen.push({ lsn: next.value.lsn, key: Buffer.from(next.value.key ?? new Uint8Array(0)).toString() });
  }
  assert.equal(seen.length, 30);
  await waitConverged(primary, replica);
  await writer.close().catch(() => undefined);
  await watcher.close().catch(() => undefined);
  primary.child.kill('SIGKILL');
  await primary.exited;
  assert.equal((await runCli(['promote', '--url', replica.httpUrl])).code, 0);
  // The subscriber had handled 15 events: it resumes on the promoted replica after the 15th's LSN.
  const resumedAt = seen[14]!.lsn;
  const client = await connect(replica.wsUrl, { reconnect: false });
  try {
    const after = client.subscribe({ ns: 'content', prefix: 'feed/', fromLsn: resumedAt });
    await after.ready;
    for (let index = 30; index < 40; index++) await client.put('content', `feed/${index}`, `event ${index}`);
    const resumed: { lsn: number; key: string }[] = [];
    for (let step = 0; step < 25; step++) {
      const next = await after.next();
      if (next.done === true) break;
      assert.notEqual(next.value.kind, 'gap');
      resumed.push({ lsn: next.value.lsn, key: Buffer.from(next.value.key ?? new Uint8Array(0)).toString() });
    }
    assert.deepEqual(resumed.slice(0, 15), seen.slice(15), 'the same changes with the same LSNs as on the old primary');
    assert.deepEqual(resumed.map((event) => event.key), Array.from({ length: 25 }, (_, index) => `feed/${index + 15}`), 'no gap, no duplicate');
    for (let index = 1; index < resumed.length; index++) assert.ok(resumed[index]!.lsn > resumed[index - 1]!.lsn);
  } finally {
    await client.close();
    await replica.stop();
  }
});

test('coordinated failover (tessera failover --to) under ack "replica" writes: no acknowledged write lost, refused writes answer ReadOnly, the old primary follows the new one', async () => {
  const acks: NodeOptions = { ...settings, engine: { minReplicas: 1, replicaAckTimeoutMs: 5000 } };
  const oldPrimary = await node(dirs.make('old'), acks);
  const target = await node(dirs.make('target'), { ...acks, replicaOf: oldPrimary.wsUrl });
  await waitUntil('the replica to connect', 15_000, async () => (await status(target)).replication['connected'] === true);
  const clients = await Promise.all([0, 1, 2].map(() => connect(oldPrimary.wsUrl, { reconnect: false })));
  const acknowledged = new Map<string, string>();
  const refusals = new Map<string, number>();
  let stop = false;
  const lanes = clients.map(async (client, lane) => {
    for (let index = 0; index < 100_000 && !stop; index++) {
      const key = `f/${lane}/${index}`;
      try {
        await client.put('content', key, `v${index}`);
        acknowledged.set(key, `v${index}`);
      } catch (error: unknown) {
        const name = (error as { status?: string }).status ?? 'other';
        refusals.set(name, (refusals.get(name) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  });
  await waitUntil('writes under way', 15_000, async () => acknowledged.size >= 200);
  const result = await runCli(['failover', '--to', target.httpUrl, '--url', oldPrimary.httpUrl]);
  await new Promise((resolve) => setTimeout(resolve, 200));
  stop = true;
  await Promise.all(lanes);
  await Promise.all(clients.map((client) => client.close()));
  assert.equal(result.code, 0, result.stdout);
  console.log(`coordinated failover: ${acknowledged.size} acknowledged, refusals ${JSON.stringify(Object.fromEntries(refusals))}`);
  assert.deepEqual([...refusals.keys()].filter((name) => name !== 'ReadOnly'), [], 'the only refusals are ReadOnly (never acknowledged)');
  const reader = await connect(target.wsUrl, { reconnect: false });
  let missing = 0;
  for (const [key, value] of acknowledged) {
    const found = await reader.get('content', key);
    if (found === null || Buffer.from(found.value).toString() !== value) missing++;
  }
  await reader.close();
  assert.equal(missing, 0, 'every acknowledged write is on the new primary');
  const targetView = (await status(target)).replication;
  assert.deepEqual([targetView['role'], targetView['epoch']], ['primary', 2]);
  await waitConverged(target, oldPrimary);
  const oldView = (await status(oldPrimary)).replication;
  assert.deepEqual([oldView['role'], oldView['lastSync'], oldView['fullSyncs'], oldView['epoch']], ['replica', 'memory', 0, 2]);
  // The demoted node names the new primary when it refuses a write.
  const refused = await fetch(`${oldPrimary.httpUrl}/v1/content/x`, { method: 'PUT', body: 'x' });
  assert.equal(refused.status, 421);
  assert.equal(((await refused.json()) as { primary: string }).primary, target.httpUrl);
  // Writes go to the new primary, with replica acks from the demoted one.
  const writer = await connect(target.wsUrl, { reconnect: false });
  await writer.put('content', 'after-failover', 'acknowledged by the demoted primary');
  await writer.close();
  await assertSameContents(target, oldPrimary);
  await Promise.all([oldPrimary.stop(), target.stop()]);
});
