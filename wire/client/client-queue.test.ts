// Against a real server process: a burst far past the in-flight window is queued, not refused,
// and a server's refusal names the op and the key.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
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

test('a window above the server cap still succeeds: frames refused Busy are sent again', async () => {
  const tight = await spawnServer({ config: testConfig({ limits: { requestsInFlightPerConnectionMax: 2 } }) });
  const eager = await connect(tight.wsUrl, { reconnect: false, requestsInFlightMax: 50 });
  try {
    // Separate turns, so each call is its own frame and many frames are in flight at once.
    const calls: Promise<{ generation: number }>[] = [];
    for (let index = 0; index < 200; index++) {
      calls.push(eager.put('other', `tight/${index}`, 'v'));
      await Promise.resolve();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(calls);
    assert.ok(results.every((result) => result.generation === 1));
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
