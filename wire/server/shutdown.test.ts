// End to end through a real server process: SIGTERM with requests in flight. Every request taken
// before the signal is answered; requests after it are refused cleanly (ShuttingDown, or a closed
// connection / refused connect), never lost in silence; the process exits 0.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Status } from '../../engine/layout/status';
import type { ResponseFrame } from '../codec';
import { testEngineDelayVariable } from './engine-delay.fixture';
import { RawWsClient } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const engineDelayMs = 400;

test('SIGTERM with requests in flight: all answered or cleanly refused, then exit 0', async () => {
  const server: ServerProcess = await spawnServer({ config: testConfig(), testHooks: true, env: { [testEngineDelayVariable]: String(engineDelayMs) } });
  try {
    const clients = [await RawWsClient.open(server.wsUrl), await RawWsClient.open(server.wsUrl)];
    const inFlight: Promise<ResponseFrame>[] = [];
    for (const [connection, client] of clients.entries()) {
      for (let index = 0; index < 100; index++) {
        inFlight.push(client.request([{ op: 'put', ns: 'content', key: `down/${connection}/${index}`, value: 'x' }]));
      }
    }
    const httpInFlight = fetch(`${server.httpUrl}/v1/content/down/http`, { method: 'PUT', body: 'via http' });
    // Let the server take every request (they sit in the slowed engine), then signal.
    await waitFor(async () => (await statusInFlight(server)) >= 201);
    server.child.kill('SIGTERM');
    await waitFor(() => Promise.resolve(server.logs.some((line) => line.includes('tessera draining'))));

    const late = clients[0]?.request([{ op: 'get', ns: 'content', key: 'down/0/0' }]);
    const answered = await Promise.all(inFlight);
    for (const response of answered) assert.equal(response.status, Status.Ok, 'taken before the signal: answered');
    assert.equal((await httpInFlight).status, 201);
    const lateResponse = await Promise.race([late, clients[0]?.closed.then(() => null)]);
    if (lateResponse !== null && lateResponse !== undefined) assert.equal(lateResponse.status, Status.ShuttingDown);

    const closes = await Promise.all(clients.map((client) => client.closed));
    for (const close of closes) assert.equal(close.code, 1001, 'closed as going away');
    await assert.rejects(fetch(`${server.httpUrl}/status`), 'no new connections after the signal');
    assert.equal(await server.exited, 0);
    assert.ok(server.logs.some((line) => line.includes('tessera stopped')));
  } finally {
    await server.stop();
  }
});

async function statusInFlight(server: ServerProcess): Promise<number> {
  const status = (await (await fetch(`${server.httpUrl}/status`)).json()) as { requestsInFlight: number };
  // /status counts itself.
  return status.requestsInFlight - 1;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
