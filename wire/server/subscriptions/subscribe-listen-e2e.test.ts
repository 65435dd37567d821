// Subscription.listen (wire/client/subscription.ts) through a real server: events queued before it
// come first, then live ones in LSN order, with no iterator; the end reaches onEnd once; the
// iterator is refused once a listener reads; a listener that throws ends the subscription.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from '../../client';
import type { SubscriptionEvent } from '../../client/subscription-types';
import { spawnServer, type ServerProcess } from '../server-process.fixture';

let server: ServerProcess;
const text = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? new Uint8Array(0)).toString();

before(async () => {
  server = await spawnServer({ config: { engine: { shards: 2, namespaces: [{ name: 'content', mode: 'store' }] }, limits: { shutdownGraceMs: 2000 } } });
});

after(async () => {
  await server?.stop();
});

/** Resolves once check() holds, polling every 10 ms, at most 5 s. */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('listen hands over the queued events, then each live one; close ends it with null', async () => {
  const db = await connect(server.wsUrl);
  try {
    const feed = db.subscribe({ ns: 'content', prefix: 'listen/' });
    await feed.ready;
    await db.put('content', 'listen/a', 'one');
    await db.put('content', 'listen/b', 'two');
    await until(() => feed.queued === 2);
    const seen: string[] = [];
    const lsns: number[] = [];
    const ends: unknown[] = [];
    feed.listen(
      (event: SubscriptionEvent) => {
        seen.push(`${event.kind} ${text(event.key)} ${text(event.value)}`);
        lsns.push(event.lsn);
      },
      (error) => ends.push(error),
    );
    assert.deepEqual(seen, ['put listen/a one', 'put listen/b two'], 'the queued events at once, in order');
    await db.put('content', 'listen/a', 'three');
    await db.delete('content', 'listen/b');
    await until(() => seen.length === 4);
    assert.deepEqual(seen.slice(2), ['put listen/a three', 'delete listen/b ']);
    assert.deepEqual([...lsns].sort((a, b) => a - b), lsns, 'in LSN order');
    await assert.rejects(feed.next(), TypeError);
    assert.throws(() => feed.listen(() => undefined), TypeError);
    await feed.close();
    assert.deepEqual(ends, [null]);
    await feed.close();
    assert.deepEqual(ends, [null], 'onEnd runs once');
  } finally {
    await db.close();
  }
});

test('a listener that throws ends its subscription and gets the error in onEnd', async () => {
  const db = await connect(server.wsUrl);
  try {
    const feed = db.subscribe({ ns: 'content', key: 'listen/thrower' });
    await feed.ready;
    const failure = new Error('listener bug');
    const ends: unknown[] = [];
    let calls = 0;
    feed.listen(
      () => {
        calls++;
        throw failure;
      },
      (error) => ends.push(error),
    );
    await db.put('content', 'listen/thrower', 'x');
    await until(() => ends.length === 1);
    assert.equal(ends[0], failure);
    assert.equal(feed.ended, true);
    await db.put('content', 'listen/thrower', 'y');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(calls, 1, 'no event after the end');
  } finally {
    await db.close();
  }
});
