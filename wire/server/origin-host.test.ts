// Finding 5 of issue 9: any web page could use a local Tessera. A WebSocket upgrade from a page
// whose Origin is not in allowedOrigins is refused 403 (no Origin: not a browser, allowed), and a
// node bound to loopback answers only loopback Host names or allowedHosts (DNS rebinding), 403
// otherwise. Through a real server process bound to 127.0.0.1.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { Status } from '../../engine/layout/status';
import { rawHttp } from './raw-http.fixture';
import { RawWsClient } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: { ...testConfig(), allowedOrigins: ['http://app.example'], allowedHosts: ['tessera.internal'] } });
});

after(async () => {
  await server?.stop();
});

/** The HTTP status an upgrade gets: 101 when it opened, else the refusal's code. */
function upgradeStatus(headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl, { headers });
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

test('an upgrade from a page whose Origin is not allowed is refused 403, and cannot write', async () => {
  assert.equal(await upgradeStatus({ Origin: 'http://evil.example' }), 403);
  assert.equal(await upgradeStatus({ Origin: 'http://app.example.evil' }), 403);
  assert.equal(await upgradeStatus({ Origin: 'null' }), 403);
  assert.equal(await upgradeStatus({ Origin: 'http://app.example' }), 101);
  assert.equal(await upgradeStatus({}), 101, 'no Origin: not a browser');
  const client = await RawWsClient.open(server.wsUrl);
  const response = await client.request([{ op: 'get', ns: 'content', key: 'origin/never' }]);
  assert.equal(response.results[0]?.status, Status.NotFound);
  await client.close();
});

test('bound to loopback: a Host that is not a loopback name (DNS rebinding) is refused 403', async () => {
  const request = (host: string): string => `PUT /v1/content/origin/rebind HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1\r\n\r\nx`;
  const refused = await rawHttp(server.port, request('evil.example'), { expectResponses: 1 });
  assert.equal(refused.responses[0]?.status, 403);
  assert.equal(JSON.parse(refused.responses[0]?.body.toString() ?? '{}').error, 'Forbidden');
  assert.equal((await fetch(`${server.httpUrl}/v1/content/origin/rebind`)).status, 404, 'nothing written');
  for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, 'tessera.internal']) {
    const status = await rawHttp(server.port, `GET /status HTTP/1.1\r\nHost: ${host}\r\n\r\n`, { expectResponses: 1 });
    assert.equal(status.responses[0]?.status, 200, host);
  }
  assert.equal(await upgradeStatus({ Host: 'evil.example' }), 403);
});
