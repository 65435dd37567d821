// A node listens while it recovers its data dir (real processes): until recovery is done, /status
// answers 503 with state "recovering" and ops answer 503 Recovering; then the data is all there.
// The window is short on a small data dir, so the node is restarted (a bounded number of times)
// until a request has landed in it at least once. A recovery that fails stops the node.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Status, statusMessage } from '../../engine/layout/status';
import { connect, type BatchOp } from '../client';
import { dataDirMaker, persistentConfig, readStatus, runCli, waitRecovered } from './durability.fixture';
import { spawnServer } from './server-process.fixture';

const newDataDir = dataDirMaker();
const records = 20_000;
const batchOps = 500;
const restartsMax = 6;

test('while recovering: /status 503 "recovering", ops 503 Recovering; afterwards every record is there', { timeout: 120_000 }, async (t) => {
  const config = persistentConfig(newDataDir());
  const seed = await spawnServer({ config });
  try {
    await waitRecovered(seed.httpUrl);
    const client = await connect(seed.wsUrl, { reconnect: false });
    try {
      for (let start = 0; start < records; start += batchOps) {
        const ops: BatchOp[] = Array.from({ length: batchOps }, (_, index) => ({ op: 'put', ns: 'content', key: `rec/${start + index}`, value: `value ${start + index} ${'x'.repeat(64)}` }));
        await client.batch(ops);
      }
    } finally {
      await client.close();
    }
  } finally {
    assert.equal(await seed.stop(), 0);
  }
  let seenRecovering = 0;
  for (let restart = 0; restart < restartsMax && seenRecovering === 0; restart++) {
    const server = await spawnServer({ config });
    try {
      // At once, before anything else: the status, then an op.
      const statusResponse = await fetch(`${server.httpUrl}/status`);
      const status = (await statusResponse.json()) as { state: string; persistence: { state: string } };
      const read = await fetch(`${server.httpUrl}/v1/content/rec/7`);
      if (read.status === 503) {
        // Recovery only ever ends: a refused op means the status asked before it was recovering too.
        assert.deepEqual(await read.json(), { error: 'Recovering', message: statusMessage(Status.Recovering) });
        assert.equal(status.state, 'recovering');
        assert.equal(status.persistence.state, 'recovering');
        assert.equal(statusResponse.status, 503);
        seenRecovering++;
      } else {
        assert.equal(read.status, 200);
      }
      if (status.state === 'recovering') {
        assert.equal(statusResponse.status, 503);
        seenRecovering++;
      }
      const done = await waitRecovered(server.httpUrl);
      assert.equal(done.state, 'running');
      assert.equal((await readStatus(server.httpUrl)).lastLsn, records);
      assert.equal(await (await fetch(`${server.httpUrl}/v1/content/rec/${records - 1}`)).text(), `value ${records - 1} ${'x'.repeat(64)}`);
      t.diagnostic(`restart ${restart}: first /status ${status.state}, first read HTTP ${read.status}`);
    } finally {
      await server.stop();
    }
  }
  assert.ok(seenRecovering > 0, `no request landed while recovering in ${restartsMax} restarts`);
});


test('a recovery that fails: a fatal log line, one plain line on stderr, exit 1, the lock released', async () => {
  const dataDir = newDataDir();
  const seed = await spawnServer({ config: persistentConfig(dataDir) });
  await waitRecovered(seed.httpUrl);
  assert.equal(await seed.stop(), 0);
  // Something recovery cannot read where it expects the newest snapshot.
  mkdirSync(path.join(dataDir, 'snapshots', 'snapshot-0000000000000005.snap'));
  // A working dir of its own (removed after the file), so nothing lands in the test's cwd.
  const cwd = path.dirname(newDataDir());
  const run = runCli(['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], {}, cwd);
  assert.equal(run.status, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /"level":60,.*"msg":"recovery failed: /);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, /^tessera: recovery of the data dir failed: /);
  assert.equal(existsSync(path.join(dataDir, 'LOCK')), false, 'the lock is released');
});
