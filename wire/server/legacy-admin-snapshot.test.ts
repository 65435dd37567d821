// Security review, finding 5: the HTTP/1.0 listener had no POST /v1/admin/snapshot; the request
// fell through to the content API as namespace "admin". Now /v1/admin/* is matched before /v1/:
// the snapshot is taken, and other admin paths are not content. Through a real server process.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dataDirMaker, persistentConfig, readStatus, waitRecovered } from './durability.fixture';
import { rawHttp } from './raw-http.fixture';
import { spawnServer, type ServerProcess } from './server-process.fixture';

const newDataDir = dataDirMaker();
let server: ServerProcess;
let legacyPort = 0;

before(async () => {
  server = await spawnServer({ config: { ...persistentConfig(newDataDir()), legacyHttpPort: 0 } });
  const line = server.logs.find((entry) => entry.includes('"tessera listening"')) ?? '{}';
  legacyPort = (JSON.parse(line) as { legacyHttpPort?: number }).legacyHttpPort ?? 0;
  assert.ok(legacyPort > 0, `legacy port in ${line}`);
  await waitRecovered(server.httpUrl);
});

after(async () => {
  await server?.stop();
});

async function snapshotsTaken(): Promise<number> {
  const status = await readStatus(server.httpUrl);
  assert.ok(status.persistence !== false);
  return status.persistence.snapshotsTaken;
}

test('POST /v1/admin/snapshot over HTTP/1.0 takes a snapshot and answers its report', async () => {
  assert.equal(await snapshotsTaken(), 0);
  const got = await rawHttp(legacyPort, 'POST /v1/admin/snapshot HTTP/1.0\r\nContent-Length: 0\r\n\r\n');
  assert.match(got.raw.toString(), /^HTTP\/1\.[01] 200 /, got.raw.toString());
  assert.match(got.raw.toString(), /"lsn":\d+/);
  assert.equal(await snapshotsTaken(), 1);
});

test('other /v1/admin/ requests over HTTP/1.0 are not the content API (namespace "admin")', async () => {
  for (const request of ['PUT /v1/admin/snapshot HTTP/1.0\r\nContent-Length: 1\r\n\r\nx', 'GET /v1/admin/promote HTTP/1.0\r\n\r\n']) {
    const got = await rawHttp(legacyPort, request);
    assert.match(got.raw.toString(), /^HTTP\/1\.[01] 404 /, got.raw.toString());
    assert.doesNotMatch(got.raw.toString(), /namespace/i, got.raw.toString());
  }
  assert.equal(await snapshotsTaken(), 1);
});
