// A node whose WAL disk fails (a test-only fault: fsync answers EIO after a number of calls), through
// a real server process: the failure is logged once; writes are refused with 503 and the typed
// PersistenceFailed body from then on, and never retried as if they had worked (fsyncgate); reads go
// on; /status and /metrics say so; a snapshot is refused too.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataDirMaker, metricSample, persistentConfig, putText, readMetrics, readStatus, waitRecovered, type PersistenceDocument } from './durability.fixture';
import { spawnServer } from './server-process.fixture';
import { testWalFsyncsVariable } from './wal-faults.fixture';

const newDataDir = dataDirMaker();
const writesMax = 500;

test('after an fsync error: writes 503 PersistenceFailed, reads 200, /status and /metrics show it, logged once', async () => {
  const server = await spawnServer({ config: persistentConfig(newDataDir()), testHooks: true, env: { [testWalFsyncsVariable]: '12' } });
  try {
    await waitRecovered(server.httpUrl);
    const acknowledged: string[] = [];
    let refused: Response | null = null;
    for (let index = 0; index < writesMax && refused === null; index++) {
      const response = await putText(server.httpUrl, `disk/${index}`, `v${index}`);
      if (response.status === 201) acknowledged.push(`disk/${index}`);
      else refused = response;
    }
    assert.ok(refused !== null, `no write was refused in ${writesMax} writes`);
    assert.ok(acknowledged.length > 0, 'some writes were acknowledged before the fault');
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { error: string }).error, 'PersistenceFailed');
    // From now on every write is refused, deletes included; nothing is acknowledged again.
    const later = await putText(server.httpUrl, 'disk/later', 'x');
    assert.equal(later.status, 503);
    const body = (await later.json()) as { error: string; message: string };
    assert.equal(body.error, 'PersistenceFailed');
    const removal = await fetch(`${server.httpUrl}/v1/content/${acknowledged[0]}`, { method: 'DELETE' });
    assert.equal(removal.status, 503);
    // Reads go on: every acknowledged write is still served.
    for (const key of acknowledged) assert.equal((await fetch(`${server.httpUrl}/v1/content/${key}`)).status, 200, key);
    assert.equal((await fetch(`${server.httpUrl}/v1/content/disk/later`)).status, 404);
    const status = await readStatus(server.httpUrl);
    assert.equal(status.state, 'running', 'the node still serves (reads)');
    const persistence = status.persistence as PersistenceDocument;
    assert.equal(persistence.state, 'failed');
    assert.match(persistence.failure ?? '', /EIO/);
    assert.equal(metricSample(await readMetrics(server.httpUrl), 'tessera_persistence_failed'), 1);
    const snapshot = await fetch(`${server.httpUrl}/v1/admin/snapshot`, { method: 'POST' });
    assert.equal(snapshot.status, 503);
    assert.equal(((await snapshot.json()) as { error: string }).error, 'PersistenceFailed');
    const failureLines = server.logs.filter((line) => line.includes('persistence failed'));
    assert.equal(failureLines.length, 1, failureLines.join('\n'));
    assert.match(failureLines[0] ?? '', /"level":50/);
    assert.match(failureLines[0] ?? '', /EIO/);
  } finally {
    await server.stop();
  }
});
