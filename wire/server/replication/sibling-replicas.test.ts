// `tessera serve --replicas 2` with real processes: two replica processes start with the primary
// (printed with their ports and data dirs), follow it, serve its writes, and stop with it.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect } from '../../client';
import { spawnServer } from '../server-process.fixture';
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
