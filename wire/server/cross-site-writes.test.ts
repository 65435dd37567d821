// Security review, finding 3: cross-site request forgery when no tokens are configured. A page on
// any site could POST or PUT to a local node (a form, a no-cors fetch) and the HTTP routes never
// looked at Origin. Now a method other than GET/HEAD/OPTIONS with an Origin that allowedOrigins
// (or same-origin) does not allow is refused 403 and changes nothing; without Origin, as before.
// Through a real server process with a data dir (so the snapshot route really writes).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dataDirMaker, persistentConfig, readStatus, waitRecovered, type PersistenceDocument } from './durability.fixture';
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

async function persistence(): Promise<PersistenceDocument> {
  const status = await readStatus(server.httpUrl);
  assert.ok(status.persistence !== false);
  return status.persistence;
}

async function statusFor(request: string, port = server.port): Promise<number | undefined> {
  const got = await rawHttp(port, request, { expectResponses: 1 });
  return got.responses[0]?.status;
}

const evil = 'Origin: http://evil.example\r\n';

test('POST /v1/admin/snapshot from a foreign Origin is 403 and takes no snapshot; without Origin, 200', async () => {
  assert.equal(await statusFor(`POST /v1/admin/snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\n${evil}Content-Length: 0\r\n\r\n`), 403);
  assert.equal((await persistence()).snapshotsTaken, 0);
  assert.equal(await statusFor('POST /v1/admin/snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n'), 200);
  assert.equal((await persistence()).snapshotsTaken, 1);
});

test('PUT and DELETE /v1/content/x from a foreign Origin (or Origin: null) are 403 and write nothing', async () => {
  for (const origin of [evil, 'Origin: null\r\n']) {
    assert.equal(await statusFor(`PUT /v1/content/x HTTP/1.1\r\nHost: 127.0.0.1\r\n${origin}Content-Length: 5\r\n\r\nowned`), 403, origin);
  }
  assert.equal(await statusFor(`PUT /v1/content/x HTTP/1.0\r\n${evil}Content-Length: 5\r\n\r\nowned`, legacyPort), 403, 'HTTP/1.0 listener');
  assert.equal(await statusFor('GET /v1/content/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 404, 'nothing was written');
  assert.equal(await statusFor('PUT /v1/content/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nok'), 201, 'no Origin: as before');
  assert.equal(await statusFor(`DELETE /v1/content/x HTTP/1.1\r\nHost: 127.0.0.1\r\n${evil}\r\n`), 403);
  assert.equal(await statusFor('GET /v1/content/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 200, 'the refused DELETE removed nothing');
});

test('a foreign Origin may still read; a same-origin page may write', async () => {
  assert.equal(await statusFor(`GET /v1/content/x HTTP/1.1\r\nHost: 127.0.0.1\r\n${evil}\r\n`), 200);
  const host = `127.0.0.1:${server.port}`;
  assert.equal(await statusFor(`PUT /v1/content/x HTTP/1.1\r\nHost: ${host}\r\nOrigin: http://${host}\r\nContent-Length: 2\r\n\r\nme`), 200);
});
