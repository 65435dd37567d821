// Security review, finding 2: DNS rebinding on a wildcard bind. The Docker image runs
// `serve --insecure` on 0.0.0.0, where the Host header used to go unchecked: a page on
// evil.example, re-pointed at the node, could read and write the whole store with Host:
// evil.example. Now every bind answers only IP literals, loopback names and allowedHosts.
// Through a real server process bound to 0.0.0.0 (the bind under test; it lives for this file only).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rawHttp } from './raw-http.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: testConfig(), args: ['--host', '0.0.0.0', '--insecure'] });
});

after(async () => {
  await server?.stop();
});

async function statusFor(request: string): Promise<number | undefined> {
  const got = await rawHttp(server.port, request, { expectResponses: 1 });
  return got.responses[0]?.status;
}

test('bound to 0.0.0.0 without allowedHosts: a DNS name in Host is refused 403, nothing is written', async () => {
  assert.equal(await statusFor('GET /status HTTP/1.1\r\nHost: evil.example\r\n\r\n'), 403);
  assert.equal(await statusFor('PUT /v1/content/rebound HTTP/1.1\r\nHost: evil.example:7070\r\nContent-Length: 2\r\n\r\nhi'), 403);
  assert.equal(await statusFor('GET /v1/content/rebound HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), 404, 'the refused PUT wrote nothing');
});

test('bound to 0.0.0.0: IP literals and loopback names are answered', async () => {
  for (const host of ['127.0.0.1', `127.0.0.1:${server.port}`, '10.0.0.5:7070', '[fe80::1]:7070', 'localhost']) {
    assert.equal(await statusFor(`GET /status HTTP/1.1\r\nHost: ${host}\r\n\r\n`), 200, host);
  }
});
