// Against a real server process: a burst far past the in-flight window is queued, not refused,
// and a server's refusal names the op and the key.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { testEngineDelayVariable } from '../server/engine-delay.fixture';
import { spawnServer, testConfig, type ServerProcess } from '../server/server-process.fixture';
import { connect, type Client } from './client';
import { TesseraError } from './tessera-error';

let server: ServerProcess;
let client: Client;

before(async () => {
  server = await spawnServer({ config: testConfig() });
  client = await connect(server.wsUrl, { reconnect: false });
});

after(async () => {
  await client?.close();
  await server?.stop();
});

test('Promise.all of 100 000 puts on one connection succeeds', async (context) => {
  const count = 100_000;
  const startedMs = performance.now();
  const results = await Promise.all(Array.from({ length: count }, (_, index) => client.put('other', `burst/${index}`, `value ${index}`)));
  context.diagnostic(`${count} puts in ${Math.round(performance.now() - startedMs)} ms`);
  assert.equal(results.length, count);
  assert.ok(results.every((result) => result.generation === 1));
  const reads = await Promise.all([0, 49_999, 99_999].map((index) => client.get('other', `burst/${index}`)));
  assert.deepEqual(reads.map((read) => Buffer.from(read?.value ?? new Uint8Array()).toString()), ['value 0', 'value 49999', 'value 99999']);
});

test('a window above the server cap: reads refused Busy are sent again, writes never reordered', async (context) => {
  // The engine answers 50 ms late (test hook), so the frames of separate turns pile up in flight.
  const tight = await spawnServer({
    config: testConfig({ limits: { requestsInFlightPerConnectionMax: 2 } }),
    testHooks: true,
    env: { [testEngineDelayVariable]: '50' },
  });
  const eager = await connect(tight.wsUrl, { reconnect: false, requestsInFlightMax: 8 });
  try {
    await eager.put('other', 'tight/read', 'r');
    const reads: Promise<unknown>[] = [];
    for (let index = 0; index < 30; index++) {
      reads.push(eager.get('other', 'tight/read'));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal((await Promise.all(reads)).length, 30, 'every read answered');
    const metrics = await (await fetch(`${tight.httpUrl}/metrics`)).text();
    const busyLines = metrics.split('\n').filter((line) => !line.startsWith('#') && line.includes('Busy') && /\s[1-9]\d*$/.test(line));
    assert.ok(busyLines.length > 0, `the server did refuse frames Busy:\n${metrics}`);

    const writes: Promise<unknown>[] = [];
    for (let index = 0; index < 30; index++) {
      writes.push(eager.put('other', `tight/${index}`, 'v').then(() => 'ok', (error: unknown) => error));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const outcomes = await Promise.all(writes);
    context.diagnostic(`writes in separate turns past the server cap: ${outcomes.filter((outcome) => outcome === 'ok').length} Ok, ${outcomes.filter((outcome) => outcome !== 'ok').length} Busy`);
    for (const [index, outcome] of outcomes.entries()) {
      const stored = await eager.get('other', `tight/${index}`);
      if (outcome === 'ok') {
        assert.ok(stored !== null, `put ${index} answered Ok is stored`);
        continue;
      }
      assert.ok(outcome instanceof TesseraError && outcome.status === 'Busy', String(outcome));
      assert.match(outcome.message, new RegExp(`^put other/tight/${index}: Busy: .*not retried: a later write was already sent`));
      assert.equal(stored, null, `put ${index} refused Busy wrote nothing`);
    }
  } finally {
    await eager.close();
    await tight.stop();
  }
});

test("a server's refusal reads 'op ns/key: Status: message' and keeps status and code", async () => {
  // The test config limits keys in 'content' to 256 bytes: only the server knows that.
  const key = `articles/${'k'.repeat(300)}`;
  await assert.rejects(client.put('content', key, 'v'), (error: unknown) => {
    assert.ok(error instanceof TesseraError, String(error));
    assert.equal(error.status, 'KeyTooLarge');
    assert.equal(error.code, 4);
    assert.match(error.message, /^put content\/articles\/k+\.\.\.: KeyTooLarge: /);
    return true;
  });
  await assert.rejects(client.get('nowhere', 'x'), /^TesseraError: get nowhere\/x: UnknownNamespace: /);
});
