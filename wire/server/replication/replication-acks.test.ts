// `ack: "replica"` with real processes (issue 12): a write is answered once durable here and
// acknowledged by minReplicas replicas; with none connected it fails with NotEnoughReplicas after
// replicaAckTimeoutMs (applied here, never silently downgraded), while `disk` namespaces go on.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect } from '../../client';
import { TesseraError } from '../../client/tessera-error';
import type { ServerProcess } from '../server-process.fixture';
import { DataDirs, startNode, status, waitUntil, type NodeOptions } from './replication.fixture';

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

const timeoutMs = 300;
const settings: NodeOptions = {
  namespaces: [{ name: 'safe', mode: 'store', ack: 'replica' }, { name: 'plain', mode: 'store', ack: 'disk' }],
  engine: { minReplicas: 1, replicaAckTimeoutMs: timeoutMs },
};

const notEnoughReplicas = (error: unknown): boolean => error instanceof TesseraError && error.status === 'NotEnoughReplicas';

test('ack "replica": NotEnoughReplicas after the timeout without a replica; answered once the replica holds the write; NotEnoughReplicas again when it dies', async () => {
  const primary = await node(dirs.make('primary'), settings);
  const client = await connect(primary.wsUrl, { reconnect: false });
  try {
    const startedMs = performance.now();
    await assert.rejects(client.put('safe', 'alone', 'v1'), notEnoughReplicas);
    const waitedMs = performance.now() - startedMs;
    assert.ok(waitedMs >= timeoutMs * 0.9, `waited ${Math.round(waitedMs)} ms for replica acks`);
    assert.equal((await client.get('safe', 'alone'))?.generation, 1, 'applied here, only not acknowledged by replicas');
    await client.put('plain', 'disk-only', 'fine');

    const replica = await node(dirs.make('replica'), { ...settings, replicaOf: primary.wsUrl });
    await waitUntil('the replica to connect', 15_000, async () => (await status(replica)).replication['connected'] === true);
    const reader = await connect(replica.wsUrl, { reconnect: false });
    try {
      for (let index = 0; index < 20; index++) {
        const { generation } = await client.put('safe', `acked/${index}`, `value ${index}`);
        // Answered only once the replica held it durably: it is readable there at once.
        const there = await reader.get('safe', `acked/${index}`);
        assert.equal(there?.generation, generation, `acked/${index} is on the replica when its put is answered`);
      }
      const results = await Promise.all(Array.from({ length: 200 }, (_, index) => client.put('safe', `burst/${index % 50}`, `b${index}`)));
      assert.equal(results.length, 200);
    } finally {
      await reader.close();
    }
    const primaryView = (await status(primary)).replication;
    assert.equal(primaryView['replicatedLsn'], (await status(primary)).lastLsn);
    replica.child.kill('SIGKILL');
    await replica.exited;
    await assert.rejects(client.put('safe', 'after-death', 'v'), notEnoughReplicas);
    await client.put('plain', 'still', 'fine');
    assert.ok(((await status(primary)).replication['replicaAckTimeouts'] as number) >= 2);
  } finally {
    await client.close();
    await primary.stop();
  }
});
