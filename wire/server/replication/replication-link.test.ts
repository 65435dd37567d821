// Replication with real processes (issue 12): a replica refuses writes (ReadOnly over WebSocket,
// 421 naming the primary over HTTP) and serves reads, ETags and subscriptions with the primary's
// LSNs; the link cut and restored ten times under load ends with equal contents and exactly one
// full sync (the new replica's first), every reconnect a partial sync.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect } from '../../client';
import { TesseraError } from '../../client/tessera-error';
import type { Subscription } from '../../client/subscription';
import type { SubscriptionEvent } from '../../client/subscription-types';
import { TestProxy } from '../subscriptions/proxy.fixture';
import type { ServerProcess } from '../server-process.fixture';
import { assertSameContents, DataDirs, namespace, startNode, status, waitConverged, waitUntil, WriteLoad } from './replication.fixture';

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

async function take(subscription: Subscription, count: number, timeoutMs: number): Promise<SubscriptionEvent[]> {
  const events: SubscriptionEvent[] = [];
  const deadline = setTimeout(() => void subscription.close(), timeoutMs);
  try {
    for (let index = 0; index < count; index++) {
      const step = await subscription.next();
      if (step.done === true) break;
      events.push(step.value);
    }
  } finally {
    clearTimeout(deadline);
  }
  return events;
}

test('a replica refuses writes (ReadOnly; HTTP 421 naming the primary) and serves reads, ETags and subscriptions with the primary\'s LSNs', async () => {
  const primary = await node(dirs.make('primary'));
  const replica = await node(dirs.make('replica'), { replicaOf: primary.wsUrl });
  const writer = await connect(primary.wsUrl, { reconnect: false });
  const reader = await connect(replica.wsUrl, { reconnect: false });
  try {
    await writer.put(namespace, 'doc/1', 'one', { contentType: 'text/plain' });
    await waitConverged(primary, replica);
    const fromLsn = (await status(primary)).lastLsn;
    const onPrimary = writer.subscribe({ ns: namespace, prefix: 'sub/', fromLsn });
    const onReplica = reader.subscribe({ ns: namespace, prefix: 'sub/', fromLsn });
    await Promise.all([onPrimary.ready, onReplica.ready]);
    for (let index = 0; index < 5; index++) await writer.put(namespace, `sub/${index}`, `value ${index}`);
    await writer.delete(namespace, 'sub/2');
    await waitConverged(primary, replica);

    // Writes over WebSocket: typed ReadOnly, nothing written.
    for (const attempt of [() => reader.put(namespace, 'doc/1', 'changed'), () => reader.delete(namespace, 'doc/1'), () => reader.touch(namespace, 'doc/1', 60)]) {
      await assert.rejects(attempt(), (error: unknown) => error instanceof TesseraError && error.status === 'ReadOnly');
    }
    // Writes over HTTP: 421 with the primary's URL.
    for (const method of ['PUT', 'DELETE']) {
      const response = await fetch(`${replica.httpUrl}/v1/${namespace}/doc/1`, { method, ...(method === 'PUT' ? { body: 'changed' } : {}) });
      assert.equal(response.status, 421, `${method} on a replica`);
      assert.deepEqual(await response.json(), { error: 'ReadOnly', message: 'this node is a replica: send writes to the primary', primary: primary.httpUrl });
    }
    // Reads: the same value, generation and ETag as the primary.
    const [fromPrimary, fromReplica] = await Promise.all([fetch(`${primary.httpUrl}/v1/${namespace}/doc/1`), fetch(`${replica.httpUrl}/v1/${namespace}/doc/1`)]);
    assert.equal(fromReplica.status, 200);
    assert.equal(await fromReplica.text(), await fromPrimary.text());
    assert.equal(fromReplica.headers.get('etag'), fromPrimary.headers.get('etag'));
    assert.equal(fromReplica.headers.get('content-type'), 'text/plain');
    const scanned = await reader.scan(namespace, { prefix: 'sub/' });
    assert.equal(scanned.records.length, 4);
    // Subscriptions: the same events with the same LSNs on both nodes.
    const describe = (events: SubscriptionEvent[]): string[] => events.map((event) => `${event.lsn} ${event.kind} ${Buffer.from(event.key ?? new Uint8Array(0)).toString()} ${'generation' in event ? event.generation : ''}`);
    const [primaryEvents, replicaEvents] = await Promise.all([take(onPrimary, 6, 10_000), take(onReplica, 6, 10_000)]);
    assert.equal(primaryEvents.length, 6);
    assert.deepEqual(describe(replicaEvents), describe(primaryEvents));
    assert.equal(primaryEvents[0]!.lsn, fromLsn + 1);
    await assertSameContents(primary, replica);
  } finally {
    await Promise.all([writer.close(), reader.close()]);
    await Promise.all([replica.stop(), primary.stop()]);
  }
});

test('the link cut and restored 10 times under write load: contents equal, one full sync, partial syncs for the rest', async () => {
  const primary = await node(dirs.make('primary'));
  const proxy = await TestProxy.start(primary.port);
  const load = await WriteLoad.open(primary);
  try {
    await load.burst(300);
    const replica = await node(dirs.make('replica'), { replicaOf: `ws://127.0.0.1:${proxy.port}/v1/ws` });
    await waitConverged(primary, replica);
    load.start();
    const cuts = 10;
    for (let cut = 1; cut <= cuts; cut++) {
      await new Promise((resolve) => setTimeout(resolve, 100 + (cut % 3) * 100));
      proxy.cut();
      await waitUntil(`reconnect after cut ${cut}`, 15_000, async () => {
        const replication = (await status(replica)).replication;
        return replication['connects'] === cut + 1 && replication['connected'] === true;
      });
    }
    await load.stop();
    await waitConverged(primary, replica);
    const records = await assertSameContents(primary, replica);
    const syncs = (await status(primary)).replication['syncs'] as Record<string, number>;
    const metrics = await (await fetch(`${primary.httpUrl}/metrics`)).text();
    assert.match(metrics, /tessera_replication_syncs_total\{mode="snapshot"\} 1\n/);
    assert.match(metrics, new RegExp(`tessera_replication_syncs_total\\{mode="memory"\\} ${syncs['memory']}\n`));
    assert.match(metrics, /^tessera_replication_primary 1$/m);
    assert.match(metrics, /tessera_replication_lag_ms\{replica="\d+"\} \d+\n/, 'per-replica lag in ms');
    const replicaMetrics = await (await fetch(`${replica.httpUrl}/metrics`)).text();
    assert.match(replicaMetrics, /^tessera_replica_full_syncs_total 1$/m);
    assert.match(replicaMetrics, /^tessera_replica_lag_lsn \d+$/m);
    console.log(`${cuts} cuts: ${records} records, ${load.acknowledged} writes acknowledged, syncs ${JSON.stringify(syncs)}`);
    assert.equal(load.failures, 0);
    assert.equal(syncs['snapshot'], 1, 'exactly one full sync: the new replica\'s first');
    assert.equal((syncs['memory'] ?? 0) + (syncs['wal'] ?? 0), cuts, 'every reconnect was a partial sync');
    assert.equal((await status(replica)).replication['fullSyncs'], 1);
    await replica.stop();
  } finally {
    await load.close();
    await proxy.close();
    await primary.stop();
  }
});

test('a replica that stops reading (SIGSTOP) under heavy writes and snapshots: the primary leaves live delivery, keeps the WAL the replica needs, catches it up on the same link, no full sync', async () => {
  // Snapshots every second would delete the WAL segments the stopped replica needs, but for the hold.
  const primary = await node(dirs.make('primary'), { changeLogCapacity: 256, snapshotIntervalSec: 1 });
  const load = await WriteLoad.open(primary);
  try {
    await load.burst(100);
    const replica = await node(dirs.make('replica'), { replicaOf: primary.wsUrl });
    await waitConverged(primary, replica);
    const pid = replica.child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      // About 30 MiB of changes while the replica reads nothing: far past the 8 MiB pause bound.
      load.start(8192);
      await waitUntil('the primary to leave live delivery', 20_000, async () => {
        const replicas = (await status(primary)).replication['replicas'] as Record<string, number>[];
        return (replicas[0]?.['leftLive'] ?? 0) >= 1 && load.acknowledged > 3000;
      });
      await new Promise((resolve) => setTimeout(resolve, 2500));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    await load.stop();
    await waitConverged(primary, replica, 30_000);
    await assertSameContents(primary, replica);
    const view = (await status(primary)).replication;
    const session = (view['replicas'] as Record<string, unknown>[])[0]!;
    console.log(`stopped replica: ${load.acknowledged} writes, session ${JSON.stringify(session)}, syncs ${JSON.stringify(view['syncs'])}`);
    assert.deepEqual(view['syncs'], { memory: 0, wal: 0, snapshot: 1 }, 'no new sync: the same link caught up');
    assert.ok((session['walReads'] as number) >= 1, 'the catch-up read the WAL (the change log window had moved on)');
    assert.equal(session['state'], 'live');
    assert.equal((await status(replica)).replication['connects'], 1);
    await replica.stop();
  } finally {
    await load.close();
    await primary.stop();
  }
});
