// End to end through a real server process: requests in flight per connection are bounded; one
// more is answered Busy, by id, without running. The engine is slowed by a test hook
// (TESSERA_TEST_ENGINE_DELAY_MS) so that requests really are in flight at once.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Status } from '../../engine/layout/status';
import { testEngineDelayVariable } from './engine-delay.fixture';
import { RawWsClient } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const inFlightMax = 8;
let server: ServerProcess;

before(async () => {
  server = await spawnServer({
    config: testConfig({ limits: { requestsInFlightPerConnectionMax: inFlightMax } }),
    testHooks: true, env: { [testEngineDelayVariable]: '200' },
  });
});

after(async () => {
  await server?.stop();
});

test('past requestsInFlightPerConnectionMax, requests are answered Busy and not run', async () => {
  const client = await RawWsClient.open(server.wsUrl);
  const other = await RawWsClient.open(server.wsUrl);
  try {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) => client.request([{ op: 'put', ns: 'content', key: `busy/${index}`, value: 'x' }])),
    );
    const busy = responses.filter((response) => response.status === Status.Busy);
    const ok = responses.filter((response) => response.status === Status.Ok);
    assert.equal(ok.length, inFlightMax);
    assert.equal(busy.length, 20 - inFlightMax);
    for (const response of busy) assert.equal(response.results.length, 0);
    // The limit is per connection: the other connection was never refused.
    const otherResponse = await other.request([{ op: 'get', ns: 'content', key: 'busy/0' }]);
    assert.equal(otherResponse.results[0]?.status, Status.Ok);
    const refused = responses.map((response, index) => (response.status === Status.Busy ? index : -1)).filter((index) => index >= 0);
    const check = await other.request(refused.map((index) => ({ op: 'get' as const, ns: 'content', key: `busy/${index}` })));
    for (const result of check.results) assert.equal(result.status, Status.NotFound, 'a Busy request wrote nothing');
    // Once the burst is answered the connection takes requests again.
    const after = await client.request([{ op: 'get', ns: 'content', key: 'busy/0' }]);
    assert.equal(after.status, Status.Ok);
  } finally {
    await client.close();
    await other.close();
  }
});
