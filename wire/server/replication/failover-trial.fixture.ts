// One failover trial (issue 12): writers put distinct keys with `ack: "replica"` (minReplicas 1)
// over several connections and record every acknowledged put; the primary is killed with SIGKILL
// at a random moment; the replica is promoted (POST /v1/admin/promote). Every acknowledged put
// must be on it with its value, and no key that was never written. Used by failover-trials.test.ts.

import { connect, type Client } from '../../client';
import { SeededRandom } from '../../../engine/layout/seeded-random';
import { contents, DataDirs, namespace, startNode, status, waitUntil, type NodeOptions } from './replication.fixture';

export interface FailoverTrialResult {
  seed: number;
  killAfterMs: number;
  acknowledged: number;
  /** Acknowledged puts missing (or with another value) on the promoted replica. */
  missing: string[];
  /** Keys on the promoted replica that no writer ever sent. */
  unknown: string[];
}

const settings: NodeOptions = {
  namespaces: [{ name: namespace, mode: 'store', ack: 'replica', maxKeyBytes: 256, maxValueBytes: 64 * 1024 }],
  engine: { minReplicas: 1, replicaAckTimeoutMs: 5000 },
};

export async function runFailoverTrial(seed: number, dirs: DataDirs): Promise<FailoverTrialResult> {
  const random = new SeededRandom(seed);
  const killAfterMs = 100 + random.below(500);
  const primary = await startNode(dirs.make('trial-primary'), settings);
  const replica = await startNode(dirs.make('trial-replica'), { ...settings, replicaOf: primary.wsUrl });
  try {
    await waitUntil('the replica to connect', 15_000, async () => (await status(replica)).replication['connected'] === true);
    const clients: Client[] = await Promise.all([0, 1, 2].map(() => connect(primary.wsUrl, { reconnect: false, requestTimeoutMs: 10_000 })));
    const acknowledged = new Map<string, string>();
    const sent = new Set<string>();
    let killed = false;
    const lanes = clients.map(async (client, lane) => {
      for (let index = 0; index < 1_000_000 && !killed; index++) {
        const key = `t/${lane}/${index}`;
        const value = `${seed}:${lane}:${index}:${'x'.repeat(random.below(200))}`;
        sent.add(key);
        try {
          await client.put(namespace, key, value);
          acknowledged.set(key, value);
        } catch {
          return;
        }
      }
    });
    // The kill moment counts from the first acknowledged write: on a loaded machine the first
    // `replica` ack may take longer than the shortest delay, and a trial with nothing acknowledged
    // proves nothing (it failed 1 run in 2 at load average 15).
    await waitUntil('a first acknowledged write', 15_000, async () => acknowledged.size > 0);
    await new Promise((resolve) => setTimeout(resolve, killAfterMs));
    primary.child.kill('SIGKILL');
    killed = true;
    await primary.exited;
    await Promise.all(lanes);
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    const response = await fetch(`${replica.httpUrl}/v1/admin/promote`, { method: 'POST' });
    if (response.status !== 200) throw new Error(`promote answered ${response.status}: ${await response.text()}`);
    const held = await contents(replica);
    const missing: string[] = [];
    for (const [key, value] of acknowledged) {
      const record = held.get(key);
      if (record === undefined || !record.endsWith(Buffer.from(value).toString('hex'))) missing.push(key);
    }
    const unknown = [...held.keys()].filter((key) => !sent.has(key));
    return { seed, killAfterMs, acknowledged: acknowledged.size, missing, unknown };
  } finally {
    await Promise.all([primary.stop(), replica.stop()]);
  }
}
