// The client over several nodes (connect([url1, url2, ...]), wire/client/cluster-client.ts) with real
// primary and replica processes: writes reach the primary when the first URL is a replica; reads
// with readFrom 'replica' are served by the replica; the client follows a coordinated failover
// with no failed write (and its subscriptions with it), and a promotion after the primary was killed.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, test } from 'node:test';
import { connect } from '../../client';
import { cliPath, spawnServer, type ServerProcess } from '../server-process.fixture';
import { createTokenEntry } from '../token-command';
import { TestProxy } from '../subscriptions/proxy.fixture';
import { DataDirs, nodeConfig, startNode, status, waitConverged, waitUntil, type NodeOptions } from './replication.fixture';

const dirs = new DataDirs();
const running = new Set<ServerProcess>();
after(async () => {
  await Promise.all([...running].map((node) => node.stop()));
  dirs.removeAll();
});

async function node(options: NodeOptions = {}, dataDir = dirs.make('node')): Promise<ServerProcess> {
  const started = await startNode(dataDir, options);
  running.add(started);
  void started.exited.then(() => running.delete(started));
  return started;
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

async function valueOn(server: ServerProcess, key: string): Promise<string | null> {
  const client = await connect(server.wsUrl, { reconnect: false });
  try {
    const found = await client.get('content', key);
    return found === null ? null : Buffer.from(found.value).toString();
  } finally {
    await client.close();
  }
}

test('connect([replica, primary]): writes reach the primary; readFrom "replica" reads are served by the replica', async () => {
  const primary = await node();
  const proxy = await TestProxy.start(primary.port);
  const replica = await node({ replicaOf: `ws://127.0.0.1:${proxy.port}/v1/ws` });
  const spread = await connect([replica.wsUrl, primary.wsUrl], { readFrom: 'replica' });
  const plain = await connect([replica.wsUrl, primary.wsUrl]);
  try {
    assert.equal(spread.primaryUrl, primary.wsUrl, 'the primary is found though the replica is listed first');
    assert.deepEqual(spread.replicaUrls, [replica.wsUrl]);
    assert.deepEqual(plain.replicaUrls, [], 'readFrom "primary" opens no replica connection');
    await spread.put('content', 'both', 'on both nodes');
    assert.equal(await valueOn(primary, 'both'), 'on both nodes');
    await waitConverged(primary, replica);
    assert.equal(Buffer.from((await spread.get('content', 'both'))!.value).toString(), 'on both nodes');
    // The link is cut: what is written now is on the primary only, so a read says which node served it.
    proxy.refusing = true;
    proxy.cut();
    await waitUntil('the replica to notice the cut', 10_000, async () => (await status(replica)).replication['connected'] === false);
    await spread.put('content', 'primary-only', 'not replicated');
    for (let read = 0; read < 10; read++) assert.equal(await spread.get('content', 'primary-only'), null, 'readFrom "replica": served by the replica');
    const page = await spread.scan('content', { prefix: 'primary-only' });
    assert.equal(page.records.length, 0);
    assert.equal(Buffer.from((await plain.get('content', 'primary-only'))!.value).toString(), 'not replicated', 'readFrom "primary": served by the primary');
    const [batchRead] = await spread.batch([{ op: 'get', ns: 'content', key: 'primary-only' }]);
    assert.equal(batchRead!.status, 'NotFound', 'a read-only batch follows readFrom');
    assert.deepEqual(await plain.purge({ ns: 'content', prefix: 'primary-only' }), { deleted: 1 }, 'a purge goes to the primary');
    assert.equal(await valueOn(primary, 'primary-only'), null);
  } finally {
    await Promise.all([spread.close(), plain.close()]);
    await proxy.close();
    await Promise.all([replica.stop(), primary.stop()]);
  }
});

test('the client follows a coordinated failover (tessera failover --to): no write fails, later writes land on the new primary, a subscription moves with no gap and no duplicate', async () => {
  const oldPrimary = await node();
  const target = await node({ replicaOf: oldPrimary.wsUrl });
  await waitConverged(oldPrimary, target);
  const client = await connect([oldPrimary.wsUrl, target.wsUrl]);
  // A subscriber on lane 0's keys: it must follow the client to the new primary with no gap and no duplicate.
  const feed = client.subscribe({ ns: 'content', prefix: 'c/0/', values: false });
  await feed.ready;
  const acknowledged = new Map<string, string>();
  const failures: string[] = [];
  let stop = false;
  const lanes = [0, 1, 2].map(async (lane) => {
    for (let index = 0; index < 100_000 && !stop; index++) {
      const key = `c/${lane}/${index}`;
      try {
        await client.put('content', key, `v${index}`);
        acknowledged.set(key, `v${index}`);
      } catch (error: unknown) {
        failures.push(String((error as { status?: string }).status ?? error));
      }
    }
  });
  try {
    await waitUntil('writes under way', 15_000, async () => acknowledged.size >= 200);
    const result = await runCli(['failover', '--to', target.httpUrl, '--url', oldPrimary.httpUrl]);
    assert.equal(result.code, 0, result.stdout);
    const atFailover = acknowledged.size;
    await waitUntil('writes after the failover', 15_000, async () => acknowledged.size >= atFailover + 200);
    stop = true;
    await Promise.all(lanes);
    console.log(`client over a coordinated failover: ${acknowledged.size} acknowledged, ${failures.length} failed, switches ${client.switches}`);
    assert.deepEqual(failures, [], 'no write failed');
    assert.equal(client.primaryUrl, target.wsUrl);
    assert.equal(client.switches, 1);
    let missing = 0;
    const reader = await connect(target.wsUrl, { reconnect: false });
    for (const [key, value] of acknowledged) {
      const found = await reader.get('content', key);
      if (found === null || Buffer.from(found.value).toString() !== value) missing++;
    }
    await reader.close();
    assert.equal(missing, 0, 'every acknowledged write is on the new primary');
    // Lane 0 writes each key once: the subscriber sees each acknowledged one once, in LSN order.
    const laneKeys = [...acknowledged.keys()].filter((key) => key.startsWith('c/0/'));
    const seen: { key: string; lsn: number }[] = [];
    const deadline = Date.now() + 15_000;
    while (seen.length < laneKeys.length && Date.now() < deadline) {
      const next = await Promise.race([feed.next(), new Promise<null>((resolve) => setTimeout(() => resolve(null), 2_000))]);
      if (next === null || next.done === true) break;
      assert.notEqual(next.value.kind, 'gap', 'no gap across the failover');
      seen.push({ key: Buffer.from(next.value.key ?? new Uint8Array(0)).toString(), lsn: next.value.lsn });
    }
    console.log(`subscriber: ${seen.length} events for ${laneKeys.length} lane-0 writes, moved ${feed.moves} time(s)`);
    assert.equal(feed.moves, 1, 'the subscription moved to the new primary once');
    assert.deepEqual(seen.map((event) => event.key).sort(), [...laneKeys].sort(), 'each acknowledged write once: no gap, no duplicate');
    for (let index = 1; index < seen.length; index++) assert.ok(seen[index]!.lsn > seen[index - 1]!.lsn, 'in LSN order');
  } finally {
    stop = true;
    await Promise.all(lanes);
    await feed.close();
    await client.close();
    await Promise.all([oldPrimary.stop(), target.stop()]);
  }
});

test('the client follows a promotion after the primary is killed, and the old primary rejoins demoted', async () => {
  const oldDir = dirs.make('old');
  let old = await node({}, oldDir);
  const replica = await node({ replicaOf: old.wsUrl });
  await waitConverged(old, replica);
  const client = await connect([old.wsUrl, replica.wsUrl], { connectTimeoutMs: 2_000 });
  try {
    await client.put('content', 'before', 'written to the first primary');
    await waitConverged(old, replica);
    old.child.kill('SIGKILL');
    await old.exited;
    // A write made while no node is the primary waits for one (its own timeout is 30 s).
    const writing = client.put('content', 'after', 'written to the promoted replica');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const promoted = await runCli(['promote', '--url', replica.httpUrl]);
    assert.equal(promoted.code, 0, promoted.stdout);
    assert.ok((await writing).generation >= 1);
    assert.equal(client.primaryUrl, replica.wsUrl);
    assert.equal(await valueOn(replica, 'after'), 'written to the promoted replica');
    // The old primary comes back demoted (a replica of the promoted node); the client stays on the primary.
    old = await node({ replicaOf: replica.wsUrl }, oldDir);
    await client.put('content', 'later', 'after the old primary rejoined');
    await waitConverged(replica, old);
    assert.equal(await valueOn(old, 'later'), 'after the old primary rejoined');
    assert.equal(client.primaryUrl, replica.wsUrl);
  } finally {
    await client.close();
    await Promise.all([old.stop(), replica.stop()]);
  }
});

test('without /status (openStatus false, a write token): the URLs are tried in order, moving on at a ReadOnly', async () => {
  const admin = createTokenEntry('admin', { '*': 'admin' });
  const writer = createTokenEntry('writer', { '*': 'write' });
  const auth = { tokens: [admin.entry, writer.entry], openStatus: false };
  // /status needs the admin token here, so the nodes are started without the fixture's recovery wait.
  const adminStatus = async (server: ServerProcess): Promise<{ state: string; replication: { connected?: boolean } }> =>
    (await (await fetch(`${server.httpUrl}/status`, { headers: { Authorization: `Bearer ${admin.token}` } })).json()) as { state: string; replication: { connected?: boolean } };
  const spawned = async (options: NodeOptions): Promise<ServerProcess> => {
    const started = await spawnServer({ config: nodeConfig(dirs.make('auth'), options) });
    running.add(started);
    void started.exited.then(() => running.delete(started));
    return started;
  };
  const primary = await spawned({ auth });
  await waitUntil('the primary to recover', 15_000, async () => (await adminStatus(primary)).state === 'running');
  const replica = await spawned({ auth, replicaOf: `${primary.wsUrl}?access_token=${admin.token}` });
  await waitUntil('the replica to connect', 15_000, async () => (await adminStatus(replica)).replication.connected === true);
  const client = await connect([replica.wsUrl, primary.wsUrl], { token: writer.token });
  try {
    assert.equal(client.primaryUrl, replica.wsUrl, 'no node answers /status: the first URL is tried first');
    await client.put('content', 'rotated', 'reached the primary');
    assert.equal(client.primaryUrl, primary.wsUrl, 'a ReadOnly answer moved the client to the next URL');
    const reader = await connect(primary.wsUrl, { reconnect: false, token: writer.token });
    assert.equal(Buffer.from((await reader.get('content', 'rotated'))!.value).toString(), 'reached the primary');
    await reader.close();
  } finally {
    await client.close();
    await Promise.all([replica.stop(), primary.stop()]);
  }
});

test('connect([...]) refuses bad arguments before connecting', async () => {
  await assert.rejects(connect([]), TypeError);
  await assert.rejects(connect(['http://127.0.0.1:1/v1/ws']), TypeError);
  await assert.rejects(connect(['ws://127.0.0.1:1/v1/ws'], { readFrom: 'any' as 'replica' }), TypeError);
  await assert.rejects(connect(['ws://127.0.0.1:1/v1/ws'], { connectTimeoutMs: 300 }), (error: unknown) => (error as { status?: string }).status === 'ConnectionFailed');
});
