// Surrogate keys travel in the replication stream: a replica's shards keep the same tag index as
// the primary's, so after a promotion a purge by tag on the new primary deletes exactly what
// carried the tag on the old one.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect } from '../../client';
import type { ServerProcess } from '../server-process.fixture';
import { DataDirs, namespace, startNode, waitConverged } from './replication.fixture';

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

for (const joins of ['before the writes (the stream)', 'after them (catch-up)']) test(`tags reach a replica that joins ${joins}: after promotion a purge by tag there deletes what carried it`, async () => {
  const primary = await node(dirs.make('primary'));
  const early = joins.startsWith('before');
  let replica = early ? await node(dirs.make('replica'), { replicaOf: primary.wsUrl }) : null;
  const writer = await connect(primary.wsUrl, { reconnect: false });
  try {
    for (let index = 0; index < 10; index++) await writer.put(namespace, `r/${index}`, 'v', { tags: index < 6 ? ['six'] : ['four'] });
    await writer.put(namespace, 'r/0', 'v'); // loses its tags
    await writer.delete(namespace, 'r/1');
    replica ??= await node(dirs.make('replica'), { replicaOf: primary.wsUrl });
    await waitConverged(primary, replica);
  } finally {
    await writer.close();
  }
  await primary.stop();
  assert.ok(replica !== null);
  const promoted = await fetch(`${replica.httpUrl}/v1/admin/promote`, { method: 'POST' });
  assert.equal(promoted.status, 200, await promoted.text());
  const client = await connect(replica.wsUrl, { reconnect: false });
  try {
    assert.deepEqual(await client.purge({ ns: namespace, tags: ['six'] }), { deleted: 4 });
    assert.deepEqual(await client.purge({ ns: namespace, tags: ['four'] }), { deleted: 4 });
    assert.notEqual(await client.get(namespace, 'r/0'), null);
  } finally {
    await client.close();
  }
});

test('a tag subscriber on a replica sees the tagged puts and the removals of tagged records, live and replayed', async () => {
  const primary = await node(dirs.make('primary-sub'));
  const replica = await node(dirs.make('replica-sub'), { replicaOf: primary.wsUrl });
  const writer = await connect(primary.wsUrl, { reconnect: false });
  const reader = await connect(replica.wsUrl, { reconnect: false });
  const text = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? new Uint8Array(0)).toString();
  const summaries = async (subscription: ReturnType<typeof reader.subscribe>, count: number): Promise<string[]> => {
    const seen: string[] = [];
    for (let index = 0; index < count; index++) {
      const step = await Promise.race([subscription.next(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`event ${index} did not arrive`)), 10_000))]);
      assert.ok(step.done !== true && step.value.kind !== 'gap');
      seen.push(`${step.value.kind} ${text(step.value.key)} [${(step.value.tags ?? []).join(' ')}]`);
    }
    return seen;
  };
  try {
    await waitConverged(primary, replica);
    const live = reader.subscribe({ ns: namespace, tag: 'hot', values: false });
    const startLsn = await live.ready;
    await writer.put(namespace, 's/1', 'v', { tags: ['hot', 'a'] });
    await writer.put(namespace, 's/2', 'v', { tags: ['cold'] });
    await writer.delete(namespace, 's/2');
    await writer.delete(namespace, 's/1');
    const expected = ['put s/1 [hot a]', 'delete s/1 [hot a]'];
    assert.deepEqual(await summaries(live, 2), expected);
    const replayed = reader.subscribe({ ns: namespace, tag: 'hot', values: false, fromLsn: startLsn });
    assert.deepEqual(await summaries(replayed, 2), expected);
    assert.equal(live.queued + replayed.queued, 0);
  } finally {
    await writer.close();
    await reader.close();
  }
});
