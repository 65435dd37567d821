// Tag subscriptions end to end through a real server process and the real client:
// db.subscribe({ ns, tag }) sees exactly the changes of records carrying its tag (the rule in
// topics.ts): puts whose new tags include it, and deletes, purges, expiries and evictions of records
// that carried it; not touches, not a put that drops the tag, not other tags. Live, on resume
// (fromLsn) and through the shared stream beside other subscriptions. An invalid tag is
// InvalidArgument from the client and from the server.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Status } from '../../../engine/layout/status';
import { connect } from '../../client';
import type { Subscription } from '../../client/subscription';
import type { SubscriptionEvent } from '../../client/subscription-types';
import { TesseraError } from '../../client/tessera-error';
import { spawnServer, type ServerProcess } from '../server-process.fixture';
import { RawSubscriber } from './subscriber.fixture';

let server: ServerProcess;
const text = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? new Uint8Array(0)).toString();

before(async () => {
  server = await spawnServer({
    config: {
      logLevel: 'info',
      engine: { shards: 2, sweepIntervalMs: 0, changeLogCapacity: 256, namespaces: [
        { name: 'content', mode: 'store' },
        { name: 'other', mode: 'store' },
        { name: 'cachey', mode: 'cache', memoryLimitBytes: 1024 * 1024 },
      ] },
      limits: { shutdownGraceMs: 2000 },
    },
  });
});

after(async () => {
  await server?.stop();
});

/** The next `count` events of a subscription, each within the time limit. */
async function take(subscription: Subscription, count: number): Promise<SubscriptionEvent[]> {
  const events: SubscriptionEvent[] = [];
  for (let index = 0; index < count; index++) {
    const step = await Promise.race([
      subscription.next(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`event ${index} of ${count} did not arrive`)), 10_000)),
    ]);
    assert.ok(step.done !== true);
    events.push(step.value);
  }
  return events;
}

const summary = (event: SubscriptionEvent): [string, string, string] => {
  assert.ok(event.kind !== 'gap');
  return [event.kind, text(event.key), (event.tags ?? []).join(' ')];
};

test('a tag subscriber sees the puts and removals of records carrying its tag, nothing else', async () => {
  const client = await connect(server.wsUrl);
  const writer = await connect(server.wsUrl);
  try {
    const red = client.subscribe({ ns: 'content', tag: 'red' });
    const blue = client.subscribe({ ns: 'content', tag: 'blue', values: false });
    // A namespace subscription on the same connection: the shared stream carries every change to
    // it, and the tag subscriptions beside it must still keep only their own.
    const all = client.subscribe({ ns: 'content', values: false });
    await Promise.all([red.ready, blue.ready, all.ready]);
    await writer.put('content', 'a', 'A1', { tags: ['red'] });
    await writer.put('content', 'b', 'B1', { tags: ['blue', 'red'] });
    await writer.put('content', 'c', 'C1', { tags: ['redder'] }); // a longer tag, not red
    await writer.put('content', 'd', 'D1');
    await writer.put('other', 'a', 'X', { tags: ['red'] }); // another namespace
    await writer.put('content', 'a', 'A2', { tags: ['blue'] }); // a put that drops red
    assert.equal(await writer.delete('content', 'b'), true);
    assert.deepEqual(await writer.purge({ ns: 'content', tags: ['blue'] }), { deleted: 1 }); // deletes a
    await writer.put('content', 'e', 'E1', { tags: ['red'] });

    // 'all' sees all 8 changes in content: the last one proves everything before it was published.
    const everything = (await take(all, 8)).map(summary);
    assert.deepEqual(everything, [
      ['put', 'a', 'red'],
      ['put', 'b', 'blue red'],
      ['put', 'c', 'redder'],
      ['put', 'd', ''],
      ['put', 'a', 'blue'],
      ['delete', 'b', 'blue red'],
      ['delete', 'a', 'blue'],
      ['put', 'e', 'red'],
    ]);
    // red: not a's second put (it dropped red), not the purge of a (a no longer carried red).
    const redEvents = await take(red, 4);
    assert.deepEqual(redEvents.map(summary), [
      ['put', 'a', 'red'],
      ['put', 'b', 'blue red'],
      ['delete', 'b', 'blue red'],
      ['put', 'e', 'red'],
    ]);
    assert.deepEqual(redEvents.map((event) => text(event.value)), ['A1', 'B1', '', 'E1']);
    const blueEvents = await take(blue, 4);
    assert.deepEqual(blueEvents.map(summary), [
      ['put', 'b', 'blue red'],
      ['put', 'a', 'blue'],
      ['delete', 'b', 'blue red'],
      ['delete', 'a', 'blue'],
    ]);
    assert.deepEqual(blueEvents.map((event) => event.value), [null, null, null, null], 'values: false');
    // The events up to e's put are all in; nothing else was queued for the tag subscriptions.
    assert.equal(red.queued + blue.queued + all.queued, 0, 'nothing else arrived');
  } finally {
    await client.close();
    await writer.close();
  }
});

test('resume with fromLsn replays only the changes of records carrying the tag', async () => {
  const writer = await connect(server.wsUrl);
  const client = await connect(server.wsUrl);
  try {
    const probe = client.subscribe({ ns: 'content', key: 'resume/none' });
    const startLsn = await probe.ready;
    await probe.close();
    await writer.put('content', 'resume/1', 'one', { tags: ['green', 'x'] });
    await writer.put('content', 'resume/2', 'two', { tags: ['x'] });
    await writer.put('content', 'resume/3', 'three', { tags: ['x', 'green'] });
    await writer.delete('content', 'resume/1');
    await writer.put('content', 'resume/4', 'four');
    // Replayed from the change log (subId-tagged frames), filtered by the server.
    const green = client.subscribe({ ns: 'content', tag: 'green', fromLsn: startLsn });
    const replayed = await take(green, 3);
    assert.deepEqual(replayed.map(summary), [
      ['put', 'resume/1', 'green x'],
      ['put', 'resume/3', 'x green'],
      ['delete', 'resume/1', 'green x'],
    ]);
    // A tag with a prefix: both must hold.
    const prefixed = client.subscribe({ ns: 'content', tag: 'x', prefix: 'resume/2', fromLsn: startLsn });
    assert.deepEqual((await take(prefixed, 1)).map(summary), [['put', 'resume/2', 'x']]);
    // Then live, joined to the shared stream.
    await writer.put('content', 'resume/5', 'five', { tags: ['green'] });
    await writer.put('content', 'resume/2x', 'six', { tags: ['x'] });
    assert.deepEqual((await take(green, 1)).map(summary), [['put', 'resume/5', 'green']]);
    assert.deepEqual((await take(prefixed, 1)).map(summary), [['put', 'resume/2x', 'x']]);
    assert.equal(green.queued + prefixed.queued, 0);
  } finally {
    await client.close();
    await writer.close();
  }
});

test('expiry and eviction of a tagged record reach its tag subscribers; a touch does not', async () => {
  const client = await connect(server.wsUrl);
  const writer = await connect(server.wsUrl);
  try {
    const brief = client.subscribe({ ns: 'content', tag: 'brief', values: false });
    const gone = client.subscribe({ ns: 'cachey', tag: 'gone', values: false });
    await Promise.all([brief.ready, gone.ready]);
    await writer.put('content', 'brief/1', 'v', { tags: ['brief'], ttl: 1 });
    await writer.put('content', 'brief/2', 'v', { tags: ['brief'] });
    await writer.touch('content', 'brief/2', 3600);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    // The sweep is off: a read finds brief/1 expired and removes it, as an expired change.
    assert.equal(await writer.get('content', 'brief/1'), null);
    await writer.put('content', 'brief/3', 'v', { tags: ['brief'] });
    assert.deepEqual((await take(brief, 4)).map(summary), [
      ['put', 'brief/1', 'brief'],
      ['put', 'brief/2', 'brief'],
      ['expired', 'brief/1', 'brief'],
      ['put', 'brief/3', 'brief'],
    ]);
    assert.equal(brief.queued, 0, 'no touch event');

    // Five tagged records, then untagged ones until the 1 MiB cache namespace evicts a tagged one.
    const victims = ['v0', 'v1', 'v2', 'v3', 'v4'];
    for (const key of victims) await writer.put('cachey', key, new Uint8Array(4000), { tags: ['gone', key] });
    assert.deepEqual((await take(gone, victims.length)).map(summary), victims.map((key) => ['put', key, `gone ${key}`]));
    let evicted: SubscriptionEvent | null = null;
    // Bounded: 60 batches of 50 × 4 KB = 12 MB through a 1 MiB namespace.
    for (let round = 0; round < 60 && evicted === null; round++) {
      await writer.batch(Array.from({ length: 50 }, (_, index) => ({ op: 'put' as const, ns: 'cachey', key: `filler/${round}/${index}`, value: new Uint8Array(4000) })));
      if (gone.queued > 0) evicted = (await take(gone, 1))[0] ?? null;
    }
    assert.ok(evicted !== null, 'a tagged record was evicted and delivered');
    const [kind, key, tags] = summary(evicted);
    assert.equal(kind, 'evicted');
    assert.ok(victims.includes(key), `evicted ${key} is a tagged record`);
    assert.equal(tags, `gone ${key}`);
  } finally {
    await client.close();
    await writer.close();
  }
});

test('an invalid tag is InvalidArgument: from the client, and from the server on the wire', async () => {
  const client = await connect(server.wsUrl);
  const raw = await RawSubscriber.open(server.wsUrl);
  try {
    for (const tag of ['', 'two tags', 'a:b"', 'x'.repeat(65), 'é']) {
      const subscription = client.subscribe({ ns: 'content', tag });
      await assert.rejects(subscription.ready, (error: unknown) => error instanceof TesseraError && error.status === 'InvalidArgument', `tag ${JSON.stringify(tag)}`);
    }
    assert.throws(() => client.subscribe({ ns: 'content', tag: 7 as unknown as string }), TypeError);
    const answer = await raw.request([
      { op: 'subscribe', subId: 1, ns: 'content', tag: 'two tags' },
      { op: 'subscribe', subId: 2, ns: 'content', tag: 'x'.repeat(65) },
      { op: 'subscribe', subId: 3, ns: 'content', tag: 'fine' },
    ]);
    assert.deepEqual(answer.results.map((result) => result.status), [Status.InvalidArgument, Status.InvalidArgument, Status.Ok]);
  } finally {
    await client.close();
    await raw.close();
  }
});
