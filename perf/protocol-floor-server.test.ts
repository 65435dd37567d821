// The protocol floor (protocol-floor-server.ts) answers what the harness asks of it, through the
// real client and plain HTTP, on one I/O thread and on two: a floor that answered wrongly would
// make its figures meaningless.

import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { connect, TesseraError } from '../wire/client';
import { startTessera } from './tessera-server';

const floorScript = path.join(__dirname, 'protocol-floor-server.js');

/** GET on a fresh connection each time (agent: false), so that two I/O threads both get some. */
function httpGet(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
  });
}

async function startFloor(ioThreads: number): Promise<Awaited<ReturnType<typeof startTessera>>> {
  // The floor reads its thread count from the environment, which the spawned process inherits.
  process.env.FLOOR_IO_THREADS = String(ioThreads);
  process.env.FLOOR_SLOTS = '1000';
  try {
    return await startTessera(floorScript);
  } finally {
    delete process.env.FLOOR_IO_THREADS;
    delete process.env.FLOOR_SLOTS;
  }
}

for (const ioThreads of [1, 2]) {
  test(`the floor with ${ioThreads} I/O thread(s) keeps puts, answers gets over WebSocket and HTTP, and checks ifGeneration`, async () => {
    const server = await startFloor(ioThreads);
    const client = await connect(`ws://${server.host}:${server.port}/v1/ws`, { autoPipelining: false });
    try {
      assert.equal(await client.get('content', 'key:1'), null);
      assert.equal((await client.put('content', 'key:1', 'one')).generation, 1);
      assert.equal((await client.put('content', 'key:1', 'two', { ifGeneration: 1 })).generation, 2);
      await assert.rejects(client.put('content', 'key:1', 'three', { ifGeneration: 1 }), (error: unknown) => error instanceof TesseraError && error.status === 'GenerationMismatch');
      await assert.rejects(client.put('content', 'not-a-harness-key', 'x'), (error: unknown) => error instanceof TesseraError && error.status === 'InvalidArgument');
      const read = await client.get('content', 'key:1');
      assert.equal(Buffer.from(read?.value ?? new Uint8Array(0)).toString(), 'two');
      assert.equal(read?.generation, 2);
      // Every connection sees the same record, whichever thread the kernel gave it to.
      for (let attempt = 0; attempt < 8; attempt++) assert.deepEqual(await httpGet(server.port, '/v1/content/key%3A1'), { status: 200, body: 'two' });
      assert.equal((await httpGet(server.port, '/v1/content/absent')).status, 404);
    } finally {
      await client.close();
      await server.stop();
    }
  });
}
