// Security review, finding 4: the browser assets (/client.mjs, /assets/chart.js, /dashboard) were
// registered without the Host check, so a DNS-rebound page could load the dashboard on the node's
// origin. They now go through the same guard as every other route. Through a real server process.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rawHttp } from './raw-http.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: testConfig() });
});

after(async () => {
  await server?.stop();
});

const routes = ['/client.mjs', '/assets/chart.js', '/dashboard'];

test('every browser asset refuses a DNS name in Host with 403', async () => {
  for (const route of routes) {
    const got = await rawHttp(server.port, `GET ${route} HTTP/1.1\r\nHost: evil.example\r\n\r\n`, { expectResponses: 1 });
    assert.equal(got.responses[0]?.status, 403, route);
  }
});

test('the dashboard is still served to a loopback Host', async () => {
  const got = await rawHttp(server.port, 'GET /dashboard HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { expectResponses: 1 });
  assert.equal(got.responses[0]?.status, 200);
});
