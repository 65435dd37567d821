// End to end through a real server process: random and mutated frames (bounded count, printed
// seed; replay with TESSERA_FUZZ_SEED=n). Every binary or text frame must get exactly one valid
// Response frame back; afterwards the server must still answer correctly on the same connection
// and a new one, and a record written before the fuzzing must be unchanged.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { Status } from '../../engine/layout/status';
import { decodeServerFrame, encodeRequest, type WireOp } from '../codec';
import { RawWsClient, seededRandom } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const frameCount = 3000;
const burstSize = 100;
const seed = Number(process.env['TESSERA_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const random = seededRandom(seed);
const below = (bound: number): number => Math.floor(random() * bound);

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: testConfig() });
});

after(async () => {
  await server?.stop();
});

function sampleOps(): WireOp[] {
  const ops: WireOp[] = [];
  const count = 1 + below(4);
  for (let index = 0; index < count; index++) {
    const key = `fuzz/${below(20)}`;
    switch (below(6)) {
      case 0:
        ops.push({ op: 'get', ns: 'content', key });
        break;
      case 1:
        ops.push({ op: 'put', ns: 'content', key, value: 'v'.repeat(below(64)), ttl: below(100), contentType: 'text/plain', ifGeneration: below(3) });
        break;
      case 2:
        ops.push({ op: 'delete', ns: 'content', key, ifGeneration: below(2) });
        break;
      case 3:
        ops.push({ op: 'touch', ns: 'other', key, ttl: below(1000) });
        break;
      case 4:
        ops.push({ op: 'scan', ns: 'content', prefix: 'fuzz/', limit: 1 + below(5) });
        break;
      default:
        ops.push({ op: 'head', ns: below(2) === 0 ? 'content' : 'nowhere', key });
    }
  }
  return ops;
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = below(256);
  return bytes;
}

const extremes = [0, 1, 0x7fffffff, 0xffffffff, 0x80000000, 0xfffffffc];

/** One fuzz frame: random bytes, or a valid request flipped, truncated, extended or overwritten. */
function fuzzFrame(): Uint8Array | string {
  const valid = encodeRequest(below(2 ** 20), sampleOps());
  switch (below(7)) {
    case 0:
      return randomBytes(below(512));
    case 1: {
      const flipped = valid.slice();
      for (let flips = 1 + below(4); flips > 0; flips--) flipped[below(flipped.length)] = below(256);
      return flipped;
    }
    case 2:
      return valid.slice(0, below(valid.length));
    case 3:
      return Uint8Array.from([...valid, ...randomBytes(1 + below(32))]);
    case 4: {
      const overwritten = valid.slice();
      const offset = below(Math.max(1, overwritten.length - 4)) & ~3;
      new DataView(overwritten.buffer).setUint32(offset, extremes[below(extremes.length)] ?? 0, true);
      return overwritten;
    }
    case 5:
      return below(2) === 0 ? 'text frame' : valid;
    default: {
      // Keep the identifier so the verifier, not the identifier check, has to catch it.
      const body = randomBytes(8 + below(200));
      body.set([0x54, 0x53, 0x52, 0x31], 4);
      return body;
    }
  }
}

test(`fuzz: ${frameCount} random and mutated frames (seed ${seed})`, async (context) => {
  context.diagnostic(`fuzz seed ${seed} (replay: TESSERA_FUZZ_SEED=${seed})`);
  const probe = await RawWsClient.open(server.wsUrl);
  const sentinel = await probe.request([{ op: 'put', ns: 'content', key: 'sentinel/unchanged', value: 'keep me' }]);
  assert.equal(sentinel.results[0]?.status, Status.Ok);

  const socket = new WebSocket(server.wsUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let received = 0;
  const invalid: string[] = [];
  const statuses = new Map<number, number>();
  socket.on('message', (data: Buffer) => {
    received++;
    const frame = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (frame.type !== 'response') invalid.push(JSON.stringify(frame));
    else statuses.set(frame.status, (statuses.get(frame.status) ?? 0) + 1);
  });
  let closedEarly = false;
  socket.once('close', () => {
    closedEarly = true;
  });

  for (let sent = 0; sent < frameCount; sent += burstSize) {
    for (let index = 0; index < burstSize; index++) {
      const frame = fuzzFrame();
      socket.send(frame, { binary: typeof frame !== 'string' });
    }
    await waitFor(() => received >= sent + burstSize || closedEarly, `seed ${seed}: ${received} of ${sent + burstSize} answered`);
    assert.equal(closedEarly, false, `seed ${seed}: the server closed the fuzzed connection`);
  }
  assert.equal(received, frameCount, `seed ${seed}: one response per frame`);
  assert.deepEqual(invalid, [], `seed ${seed}: every response is a valid frame`);
  context.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].map(([status, count]) => [Status[status], count])))}`);
  assert.ok((statuses.get(Status.MalformedRequest) ?? 0) > 0);

  // Still correct afterwards, on the fuzzed connection, a probe connection and a new one.
  socket.send(encodeRequest(1, [{ op: 'get', ns: 'content', key: 'sentinel/unchanged' }]));
  await waitFor(() => received === frameCount + 1, 'the fuzzed connection still answers');
  const fresh = await RawWsClient.open(server.wsUrl);
  for (const client of [probe, fresh]) {
    const read = await client.request([{ op: 'get', ns: 'content', key: 'sentinel/unchanged' }]);
    assert.equal(Buffer.from(read.results[0]?.value ?? []).toString(), 'keep me');
  }
  assert.equal((await fetch(`${server.httpUrl}/status`)).status, 200);
  socket.close();
  await probe.close();
  await fresh.close();
});

async function waitFor(condition: () => boolean, message: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
