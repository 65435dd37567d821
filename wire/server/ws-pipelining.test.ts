// End to end through a real server process: 10,000 requests in flight over a few connections, all
// answered, each matched to its request by id, and the writes of one connection to one key applied
// in the order they were sent.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Status } from '../../engine/layout/status';
import type { ResponseFrame } from '../codec';
import { RawWsClient } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const connectionCount = 4;
const requestsPerConnection = 2500;
const keysPerConnection = 50;

let server: ServerProcess;
const clients: RawWsClient[] = [];

before(async () => {
  server = await spawnServer({ config: testConfig() });
  for (let index = 0; index < connectionCount; index++) clients.push(await RawWsClient.open(server.wsUrl));
});

after(async () => {
  for (const client of clients) await client.close();
  await server?.stop();
});

test(`${connectionCount * requestsPerConnection} pipelined requests: all answered, matched by id, applied in order per key`, async () => {
  const pending: Promise<{ connection: number; sequence: number; response: ResponseFrame }>[] = [];
  clients.forEach((client, connection) => {
    for (let sequence = 0; sequence < requestsPerConnection; sequence++) {
      const key = `pipe/${connection}/${sequence % keysPerConnection}`;
      const request = client.request([{ op: 'put', ns: 'content', key, value: `${sequence}` }]);
      pending.push(request.then((response) => ({ connection, sequence, response })));
    }
  });
  assert.equal(pending.length, connectionCount * requestsPerConnection);
  const answers = await Promise.all(pending);
  for (const { sequence, response } of answers) {
    assert.equal(response.status, Status.Ok);
    assert.equal(response.results.length, 1);
    // The n-th write to a key (in send order) must be its generation n.
    assert.equal(response.results[0]?.generation, Math.floor(sequence / keysPerConnection) + 1, `sequence ${sequence}`);
  }
  for (const [connection, client] of clients.entries()) {
    assert.deepEqual(client.unexpected, []);
    assert.equal(client.waiting, 0);
    const reads = await client.request(
      Array.from({ length: keysPerConnection }, (_, slot) => ({ op: 'get' as const, ns: 'content', key: `pipe/${connection}/${slot}` })),
    );
    reads.results.forEach((result, slot) => {
      const lastSequence = requestsPerConnection - keysPerConnection + slot;
      assert.equal(Buffer.from(result.value ?? []).toString(), `${lastSequence}`, 'the last write sent is the one kept');
    });
  }
});
