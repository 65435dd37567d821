// `tessera serve --replicas 2` with real processes: two replica processes start with the primary
// (printed with their ports and data dirs), follow it, serve its writes, and stop with it; with
// access control on, their links authenticate with a token minted for the run.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { connect } from '../../client';
import { spawnServer } from '../server-process.fixture';
import { createTokenEntry } from '../token-command';
import { DataDirs, nodeConfig, status, waitUntil } from './replication.fixture';

const dirs = new DataDirs();
after(() => dirs.removeAll());

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('serve --replicas 2 runs two replicas of the node, which follow it and stop with it', async () => {
  const dataDir = `${dirs.make('siblings')}/primary`;
  const primary = await spawnServer({ config: nodeConfig(dataDir), args: ['--replicas', '2'] });
  try {
    await waitUntil('two sibling replicas to be started', 20_000, async () => primary.logs.filter((line) => line.includes('sibling replica started')).length === 2);
    const siblings = primary.logs.filter((line) => line.includes('sibling replica started')).map((line) => JSON.parse(line) as { port: number; pid: number; dataDir: string });
    assert.deepEqual(siblings.map((sibling) => sibling.dataDir), [`${dataDir}-replica-1`, `${dataDir}-replica-2`]);
    // The primary's I/O thread count goes to each sibling with its other flags (NUL-separated here).
    for (const sibling of siblings) assert.ok(readFileSync(`/proc/${sibling.pid}/cmdline`, 'utf8').includes('\0--io-threads\x001\0'), `sibling ${sibling.pid}: --io-threads 1`);
    await waitUntil('both to be live', 20_000, async () => {
      const replicas = (await status(primary)).replication['replicas'] as { state: string }[];
      return replicas.length === 2 && replicas.every((replica) => replica.state === 'live');
    });
    const writer = await connect(primary.wsUrl, { reconnect: false });
    const { generation } = await writer.put('content', 'hello', 'from the primary');
    await writer.close();
    for (const sibling of siblings) {
      const url = `http://127.0.0.1:${sibling.port}`;
      await waitUntil(`replica on ${sibling.port} to have the write`, 10_000, async () => (await fetch(`${url}/v1/content/hello`)).status === 200);
      const response = await fetch(`${url}/v1/content/hello`);
      assert.equal(await response.text(), 'from the primary');
      assert.equal(response.headers.get('tessera-generation'), String(generation));
      assert.match(response.headers.get('etag') ?? '', new RegExp(`^"\\d+-${generation}"$`));
      assert.equal((await fetch(`${url}/v1/content/hello`, { method: 'PUT', body: 'x' })).status, 421);
    }
    await primary.stop();
    for (const sibling of siblings) assert.equal(alive(sibling.pid), false, `sibling ${sibling.pid} stopped with the primary`);
  } finally {
    await primary.stop();
  }
});

test('serve --replicas 1 with access control on: the sibling links with a token minted for the run, passed outside its command line', async () => {
  const dataDir = `${dirs.make('siblings-auth')}/primary`;
  const admin = createTokenEntry('operator', { '*': 'admin' });
  const primary = await spawnServer({ config: { ...nodeConfig(dataDir), auth: { tokens: [admin.entry], openStatus: true } }, args: ['--replicas', '1'] });
  try {
    await waitUntil('the sibling replica to be started', 20_000, async () => primary.logs.some((line) => line.includes('sibling replica started')));
    const sibling = JSON.parse(primary.logs.find((line) => line.includes('sibling replica started'))!) as { port: number; pid: number };
    await waitUntil('the sibling to be live', 20_000, async () => {
      const replicas = (await status(primary)).replication['replicas'] as { state: string }[];
      return replicas.length === 1 && replicas[0]!.state === 'live';
    });
    const writer = await connect(primary.wsUrl, { reconnect: false, token: admin.token });
    await writer.put('content', 'guarded', 'through an authenticated link');
    await writer.close();
    const url = `http://127.0.0.1:${sibling.port}/v1/content/guarded`;
    const headers = { Authorization: `Bearer ${admin.token}` };
    await waitUntil('the sibling to have the write', 10_000, async () => (await fetch(url, { headers })).status === 200);
    assert.equal(await (await fetch(url, { headers })).text(), 'through an authenticated link');
    const commandLine = readFileSync(`/proc/${sibling.pid}/cmdline`, 'utf8');
    assert.ok(!commandLine.includes('access_token'), 'no token on the sibling\'s command line');
    // openStatus: true above, so this /status is the open one a token must never leak through.
    const siblingView = ((await (await fetch(`http://127.0.0.1:${sibling.port}/status`)).json()) as { replication: { primary: string; connected: boolean } }).replication;
    assert.equal(siblingView.connected, true);
    assert.ok(!siblingView.primary.includes('access_token'), `the sibling's /status names its primary without the token: ${siblingView.primary}`);
  } finally {
    await primary.stop();
  }
});
