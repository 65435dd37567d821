// The protocol floor (protocol-floor-server.ts) answers what the harness asks of it, through the
// real client and plain HTTP: a floor that answered wrongly would make its figures meaningless.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { connect, TesseraError } from '../wire/client';
import { startTessera } from './tessera-server';

const floorScript = path.join(__dirname, 'protocol-floor-server.js');

test('the floor keeps puts, answers gets over WebSocket and HTTP, and checks ifGeneration', async () => {
  const server = await startTessera(floorScript);
  const client = await connect(`ws://${server.host}:${server.port}/v1/ws`, { autoPipelining: false });
  try {
    assert.equal(await client.get('content', 'key:1'), null);
    const first = await client.put('content', 'key:1', 'one');
    assert.equal(first.generation, 1);
    const second = await client.put('content', 'key:1', 'two', { ifGeneration: 1 });
    assert.equal(second.generation, 2);
    await assert.rejects(client.put('content', 'key:1', 'three', { ifGeneration: 1 }), (error: unknown) => error instanceof TesseraError && error.status === 'GenerationMismatch');
    const read = await client.get('content', 'key:1');
    assert.equal(Buffer.from(read?.value ?? new Uint8Array(0)).toString(), 'two');
    assert.equal(read?.generation, 2);
    const response = await fetch(`http://${server.host}:${server.port}/v1/content/key%3A1`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'two');
    assert.equal((await fetch(`http://${server.host}:${server.port}/v1/content/absent`)).status, 404);
  } finally {
    await client.close();
    await server.stop();
  }
});
