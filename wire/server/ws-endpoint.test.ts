// End to end through a real server process: the WebSocket endpoint, op by op and limit by limit.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { frameBytesMax, opsPerRequestMax } from '../../engine/layout/limits';
import { Status } from '../../engine/layout/status';
import { encodeRequest, type WireOp } from '../codec';
import { closeCodeFrameTooLarge } from './ws-endpoint';
import { RawWsClient } from './raw-ws.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;
let client: RawWsClient;
const text = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? new Uint8Array(0)).toString();

before(async () => {
  server = await spawnServer({ config: testConfig() });
  client = await RawWsClient.open(server.wsUrl);
});

after(async () => {
  await client?.close();
  await server?.stop();
});

describe('ops', () => {
  test('put, get, head, touch, delete in one batch: one result per op, in order', async () => {
    const response = await client.request([
      { op: 'put', ns: 'content', key: 'ws/a', value: 'alpha', contentType: 'text/plain' },
      { op: 'get', ns: 'content', key: 'ws/a' },
      { op: 'head', ns: 'content', key: 'ws/a' },
      { op: 'touch', ns: 'content', key: 'ws/a', ttl: 60 },
      { op: 'put', ns: 'content', key: 'ws/a', value: 'beta', ifGeneration: 1 },
      { op: 'delete', ns: 'content', key: 'ws/a', ifGeneration: 1 },
      { op: 'delete', ns: 'content', key: 'ws/a', ifGeneration: 2 },
      { op: 'get', ns: 'content', key: 'ws/a' },
    ]);
    assert.equal(response.status, Status.Ok);
    const statuses = response.results.map((result) => result.status);
    assert.deepEqual(statuses, [Status.Ok, Status.Ok, Status.Ok, Status.Ok, Status.Ok, Status.GenerationMismatch, Status.Ok, Status.NotFound]);
    const [put, get, head, touch] = response.results;
    assert.equal(put?.created, true);
    assert.equal(put?.generation, 1);
    assert.equal(text(get?.value ?? null), 'alpha');
    assert.equal(get?.contentType, 'text/plain');
    assert.equal(head?.value, null);
    assert.equal(head?.generation, 1);
    assert.ok((touch?.expiry ?? 0) > Date.now() / 1000);
  });

  test('invalid ops get their status without reaching the engine; valid ones in the same request run', async () => {
    const response = await client.request([
      { op: 'put', ns: 'content', key: 'ws/valid', value: 'ok' },
      { op: 'put', ns: 'nowhere', key: 'ws/x', value: 'x' },
      { op: 'put', ns: 'content', key: 'k'.repeat(257), value: 'x' },
      { op: 'put', ns: 'content', key: 'ws/big', value: new Uint8Array(64 * 1024 + 1) },
      { op: 'get', ns: 'content', key: 'ws/valid' },
    ]);
    assert.deepEqual(
      response.results.map((result) => result.status),
      [Status.Ok, Status.UnknownNamespace, Status.KeyTooLarge, Status.ValueTooLarge, Status.Ok],
    );
    const check = await client.request([{ op: 'get', ns: 'content', key: 'ws/big' }]);
    assert.equal(check.results[0]?.status, Status.NotFound, 'nothing of an invalid op is written');
  });

  test('scan pages through a prefix with a cursor, and sees its own request writes', async () => {
    const puts: WireOp[] = [];
    for (let index = 0; index < 25; index++) puts.push({ op: 'put', ns: 'content', key: `scan/${String(index).padStart(2, '0')}`, value: `v${index}` });
    const first = await client.request([...puts, { op: 'scan', ns: 'content', prefix: 'scan/', limit: 10 }]);
    const page = first.results[25];
    assert.equal(page?.status, Status.Ok);
    assert.equal(page?.records.length, 10);
    assert.ok(page?.cursor !== null);
    const seen = new Set(page?.records.map((record) => text(record.key)));
    let cursor: string | null = page?.cursor ?? null;
    for (let pages = 0; cursor !== null && pages < 10; pages++) {
      const pageCursor: string = cursor;
      const next = await client.request([{ op: 'scan', ns: 'content', prefix: 'scan/', limit: 10, cursor: pageCursor, values: false }]);
      const result = next.results[0];
      assert.equal(result?.status, Status.Ok);
      for (const record of result?.records ?? []) {
        seen.add(text(record.key));
        assert.equal(record.value, null);
      }
      cursor = result?.cursor ?? null;
    }
    assert.equal(seen.size, 25);
  });

  test('scan of an unknown namespace or with a bad cursor is a status, not a failure of the request', async () => {
    const response = await client.request([
      { op: 'scan', ns: 'nowhere' },
      { op: 'scan', ns: 'content', prefix: 'p'.repeat(300) },
    ]);
    assert.equal(response.status, Status.Ok);
    assert.deepEqual(response.results.map((result) => result.status), [Status.UnknownNamespace, Status.KeyTooLarge]);
  });

  test('subscribe and unsubscribe are answered in op order (wire/server/subscriptions tests the rest)', async () => {
    const response = await client.request([
      { op: 'subscribe', subId: 1, ns: 'content' },
      { op: 'unsubscribe', subId: 1 },
      { op: 'put', ns: 'content', key: 'ws/sub', value: 'x' },
    ]);
    assert.deepEqual(response.results.map((result) => result.status), [Status.Ok, Status.Ok, Status.Ok]);
    assert.match(response.results[0]?.cursor ?? '', /^[0-9]+$/, 'the join LSN');
  });

  test('an empty request is answered with no results', async () => {
    const response = await client.request([]);
    assert.equal(response.status, Status.Ok);
    assert.equal(response.results.length, 0);
  });
});

describe('limits', () => {
  test('more ops than opsPerRequestMax: TooManyOps for the request, nothing runs', async () => {
    const ops: WireOp[] = [];
    for (let index = 0; index <= opsPerRequestMax; index++) ops.push({ op: 'put', ns: 'content', key: `many/${index}`, value: 'x' });
    const response = await client.request(ops);
    assert.equal(response.status, Status.TooManyOps);
    assert.equal(response.results.length, 0);
    const check = await client.request([{ op: 'get', ns: 'content', key: 'many/0' }]);
    assert.equal(check.results[0]?.status, Status.NotFound);
  });

  test('garbage, truncated frames and text frames are MalformedRequest; the connection stays usable', async () => {
    const garbage = await client.sendFrame(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), null);
    assert.equal(garbage.status, Status.MalformedRequest);
    const valid = encodeRequest(4242, [{ op: 'put', ns: 'content', key: 'ws/trunc', value: 'x'.repeat(100) }]);
    // The root table and id survive this cut, so the server can still name the request.
    const truncated = await client.sendFrame(valid.subarray(0, valid.length - 40), 4242);
    assert.equal(truncated.status, Status.MalformedRequest);
    const textFrame = await client.sendFrame('hello', null);
    assert.equal(textFrame.status, Status.MalformedRequest);
    const empty = await client.sendFrame(new Uint8Array(0), null);
    assert.equal(empty.status, Status.MalformedRequest);
    const after = await client.request([{ op: 'get', ns: 'content', key: 'ws/trunc' }]);
    assert.equal(after.results[0]?.status, Status.NotFound);
    assert.deepEqual(client.unexpected, []);
  });

  test('a large frame under the limit is served', async () => {
    const value = new Uint8Array(1000 * 1000).fill(7);
    const response = await client.request([
      { op: 'put', ns: 'other', key: 'large/1', value },
      { op: 'put', ns: 'other', key: 'large/2', value },
      { op: 'get', ns: 'other', key: 'large/2' },
    ]);
    assert.deepEqual(response.results.map((result) => result.status), [Status.Ok, Status.Ok, Status.Ok]);
    assert.equal(response.results[2]?.value?.length, value.length);
  });

  test('a frame larger than frameBytesMax closes that connection (uWS drops it: 1006 at the client)', async () => {
    const victim = await RawWsClient.open(server.wsUrl);
    victim.socket.send(new Uint8Array(frameBytesMax + 1));
    const closed = await victim.closed;
    // uWS closes without a close frame (so not 1009): this pins the behaviour the docs describe.
    assert.equal(closed.code, closeCodeFrameTooLarge);
    const response = await client.request([{ op: 'get', ns: 'content', key: 'ws/valid' }]);
    assert.equal(response.results[0]?.status, Status.Ok, 'other connections are unaffected');
  });
});
