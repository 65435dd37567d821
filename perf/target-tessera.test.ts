// The Tessera adapter against a stand-in client with the API of issue 5 (the real client is
// exercised by `npm run bench`): outcomes, ifGeneration, and subscribe detection.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outcomeError, outcomeMismatch, outcomeNotFound } from './outcome';
import type { ConnectionSetup } from './target-connection';
import { tesseraConnection } from './target-tessera';
import type { TesseraClientLike, TesseraEventLike, TesseraPutOptionsLike } from './tessera-client-loader';

class TesseraErrorStandIn extends Error {
  readonly status: string;
  constructor(status: string) {
    super(status);
    this.status = status;
  }
}

function setup(workload: ConnectionSetup['workload']): ConnectionSetup {
  return { endpoint: { name: 'tessera', host: '127.0.0.1', port: 1, namespace: 'content' }, workload, keyNames: ['key:0', 'key:1', 'key:2'], value: new Uint8Array([1, 2, 3]) };
}

function standInClient(withSubscribe: boolean): TesseraClientLike & { puts: { key: string; options: TesseraPutOptionsLike | undefined }[]; events: TesseraEventLike[] } {
  const generations = new Map<string, number>([['key:0', 4]]);
  const puts: { key: string; options: TesseraPutOptionsLike | undefined }[] = [];
  const events: TesseraEventLike[] = [];
  const client = {
    puts,
    events,
    get: async (_ns: string, key: string) => {
      if (key === 'key:2') throw new Error('socket closed');
      const generation = generations.get(key);
      return generation === undefined ? null : { value: new Uint8Array(1), generation };
    },
    put: async (_ns: string, key: string, _value: Uint8Array | string, options?: TesseraPutOptionsLike) => {
      puts.push({ key, options });
      const current = generations.get(key) ?? 0;
      if (options?.ifGeneration !== undefined && options.ifGeneration !== current) throw new TesseraErrorStandIn('GenerationMismatch');
      generations.set(key, current + 1);
      return { generation: current + 1 };
    },
    close: async () => undefined,
  };
  if (!withSubscribe) return client;
  return {
    ...client,
    subscribe: () => ({
      async *[Symbol.asyncIterator]() {
        // Bounded: the stand-in has exactly the events pushed before subscribing.
        for (const event of events) yield event;
      },
    }),
  };
}

test('get and put map to generations and outcome codes', async () => {
  const client = standInClient(false);
  const connection = tesseraConnection(client, setup('cms'));
  assert.equal(await connection.get(0), 4);
  assert.equal(await connection.get(1), outcomeNotFound);
  assert.equal(await connection.get(2), outcomeError);
  assert.equal(await connection.put(0, 3), outcomeMismatch);
  assert.equal(await connection.put(0, 4), 5);
  assert.equal(await connection.put(1, 0), 1);
  assert.deepEqual(client.puts.map((put) => put.options), [{ ifGeneration: 3 }, { ifGeneration: 4 }, undefined], 'ifGeneration 0 sends no condition');
  await connection.close();
});

test('subscribe is offered only when the client has it, and delivers event values', async () => {
  assert.equal(tesseraConnection(standInClient(false), setup('fanout')).subscribe, undefined);
  const client = standInClient(true);
  client.events.push({ lsn: 1, kind: 'put', key: 'fanout/000001', value: new Uint8Array([9]) }, { lsn: 2, kind: 'delete', key: 'fanout/000002' });
  const connection = tesseraConnection(client, setup('fanout'));
  assert.ok(connection.subscribe !== undefined);
  const payloads: Uint8Array[] = [];
  const subscription = await connection.subscribe((payload) => payloads.push(payload));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(payloads, [new Uint8Array([9])]);
  await subscription.close();
  assert.equal(await connection.publish?.(new Uint8Array(16)), 0);
  assert.equal(client.puts[0]?.key, 'fanout/000000');
  await connection.close();
});
