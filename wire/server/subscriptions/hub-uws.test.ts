// The hub in a real uWS app (in process) with the real client: topics and ordering as uWS really
// does them, resume with fromLsn, many subscriptions on one connection, cuts under write load, and
// a consumer slower than the stream.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type Client } from '../../client';
import type { Subscription } from '../../client/subscription';
import type { ChangeEvent, SubscriptionEvent } from '../../client/subscription-types';
import type { Change } from '../../../engine/layout/types';
import { HubServer } from './hub-server.fixture';

let server: HubServer;
const text = (bytes: Uint8Array | null): string => (bytes === null ? '' : Buffer.from(bytes).toString());
const fastReconnect = { reconnectDelayMsMin: 10, reconnectDelayMsMax: 50 };

before(() => {
  server = HubServer.start(
    { shards: 1, changeLogCapacity: 1 << 16, namespaces: [{ name: 'content' }, { name: 'other' }] },
    { subscriberBackpressureBytes: 256 * 1024, subscriptionsPerConnectionMax: 1024 },
  );
});

after(async () => {
  await server.stop();
});

/** Takes `count` events (bounded by a deadline). */
async function take(subscription: Subscription, count: number, timeoutMs = 5000): Promise<SubscriptionEvent[]> {
  const events: SubscriptionEvent[] = [];
  const deadline = setTimeout(() => void subscription.close(), timeoutMs);
  try {
    for (let index = 0; index < count; index++) {
      const step = await subscription.next();
      if (step.done === true) break;
      events.push(step.value);
    }
  } finally {
    clearTimeout(deadline);
  }
  assert.equal(events.length, count, `${count} events within ${timeoutMs} ms`);
  return events;
}

const changes = (events: readonly SubscriptionEvent[]): ChangeEvent[] => events.filter((event): event is ChangeEvent => event.kind !== 'gap');

test('prefix, key and namespace subscriptions on one connection see their changes, values as asked', async () => {
  const reader = await connect(server.url);
  const writer = await connect(server.url);
  try {
    const level = reader.subscribe({ ns: 'content', prefix: 'articles/2026/' });
    const key = reader.subscribe({ ns: 'content', key: 'articles/2026/x', values: false });
    const whole = reader.subscribe({ ns: 'other' });
    await Promise.all([level.ready, key.ready, whole.ready]);
    await writer.put('content', 'articles/2026/x', 'one');
    await writer.put('content', 'articles/2025/x', 'not mine');
    await writer.put('content', 'articles/2026/y/z', 'two');
    await writer.delete('content', 'articles/2026/x');
    await writer.put('other', 'anything', 'three');
    const levelEvents = await take(level, 3);
    assert.deepEqual(levelEvents.map((event) => [event.kind, text(event.key), text(event.value)]), [
      ['put', 'articles/2026/x', 'one'],
      ['put', 'articles/2026/y/z', 'two'],
      ['delete', 'articles/2026/x', ''],
    ]);
    const keyEvents = changes(await take(key, 2));
    assert.deepEqual(keyEvents.map((event) => [event.kind, event.value, event.generation]), [
      ['put', null, 1],
      ['delete', null, 1],
    ]);
    assert.deepEqual((await take(whole, 1)).map((event) => text(event.key)), ['anything']);
    await level.close();
    const after = await level.next();
    assert.equal(after.done, true);
  } finally {
    await reader.close();
    await writer.close();
  }
});

test('a hundred subscriptions on one connection, then unsubscribe half of them', async () => {
  const reader = await connect(server.url);
  try {
    const subscriptions = Array.from({ length: 100 }, (_, index) => reader.subscribe({ ns: 'content', key: `many/${index}` }));
    await Promise.all(subscriptions.map((subscription) => subscription.ready));
    await Promise.all(subscriptions.slice(50).map((subscription) => subscription.close()));
    await reader.batch(Array.from({ length: 100 }, (_, index) => ({ op: 'put' as const, ns: 'content', key: `many/${index}`, value: `v${index}` })));
    for (let index = 0; index < 50; index++) {
      const [event] = await take(subscriptions[index] as Subscription, 1);
      assert.equal(text(event?.value ?? null), `v${index}`);
    }
    for (const subscription of subscriptions.slice(50)) assert.equal(subscription.queued, 0);
  } finally {
    await reader.close();
  }
});

test('fromLsn replays the past, then continues live', async () => {
  const client = await connect(server.url);
  try {
    const start = server.engine.changes.lastLsn;
    for (let index = 0; index < 20; index++) await client.put('content', `resume/${index % 3}`, `r${index}`);
    const resumed = client.subscribe({ ns: 'content', prefix: 'resume/', fromLsn: start + 10 });
    await resumed.ready;
    await client.put('content', 'resume/live', 'live');
    const events = changes(await take(resumed, 11));
    assert.deepEqual(events.map((event) => event.lsn), Array.from({ length: 11 }, (_, index) => start + 11 + index));
    assert.equal(text(events[10]?.value ?? null), 'live');
  } finally {
    await client.close();
  }
});

test('cut connections under write load: each subscriber sees every change once, in order', async () => {
  const subscriberCount = 4;
  const writes = 600;
  const readers: Client[] = [];
  const writer = await connect(server.url);
  try {
    for (let index = 0; index < subscriberCount; index++) readers.push(await connect(server.url, fastReconnect));
    const subscriptions = readers.map((reader, index) => reader.subscribe({ ns: 'content', prefix: 'cut/', values: index % 2 === 0 }));
    await Promise.all(subscriptions.map((subscription) => subscription.ready));
    const firstLsn = server.engine.changes.lastLsn + 1;
    const openedBefore = server.opened;
    const collected = subscriptions.map((subscription) => take(subscription, writes, 20_000));
    // The writer keeps writing while every connection is cut three times (the writer's too).
    let cuts = 0;
    const cutter = setInterval(() => {
      if (cuts++ < 3) server.cutAll();
    }, 40);
    let written = 0;
    for (let index = 0; index < writes; index++) {
      try {
        await writer.put('content', `cut/${index % 7}`, `w${index}`);
        written++;
      } catch {
        // A write cut in flight may or may not have been applied: write it again (a new LSN).
        index--;
      }
      if (index % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    clearInterval(cutter);
    assert.ok(cuts >= 3);
    const lastLsn = server.engine.changes.lastLsn;
    const results = await Promise.all(collected);
    for (const [index, events] of results.entries()) {
      const lsns = events.map((event) => event.lsn);
      for (let at = 1; at < lsns.length; at++) assert.ok((lsns[at] as number) > (lsns[at - 1] as number), `subscriber ${index}: LSNs grow`);
      assert.ok(events.every((event) => event.kind === 'put'), 'no gaps: the window holds everything');
      // Every change with a cut/ key between the first and the last LSN, exactly once.
      const expected: number[] = [];
      for (const change of server.engine.changes.readFrom(firstLsn - 1) as Change[]) {
        if (text(change.key).startsWith('cut/') && change.lsn <= lastLsn) expected.push(change.lsn);
      }
      assert.deepEqual(lsns, expected.slice(0, writes));
    }
    assert.equal(written, writes);
    assert.ok(server.opened - openedBefore >= 3 * subscriberCount, `the readers reconnected (${server.opened - openedBefore} opens)`);
  } finally {
    await writer.close();
    for (const reader of readers) await reader.close();
  }
});

test('a consumer slower than the stream: the queue pauses the subscription and resumes it, nothing lost', async () => {
  const reader = await connect(server.url);
  const writer = await connect(server.url);
  try {
    const subscription = reader.subscribe({ ns: 'content', prefix: 'slowq/', queueMax: 50 });
    await subscription.ready;
    const firstLsn = server.engine.changes.lastLsn;
    await writer.batch(Array.from({ length: 400 }, (_, index) => ({ op: 'put' as const, ns: 'content', key: `slowq/${index}`, value: 'x' })));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(subscription.paused, 'paused once 50 events wait');
    assert.ok(subscription.queued <= 50);
    const events = await take(subscription, 400);
    assert.deepEqual(events.map((event) => event.lsn), Array.from({ length: 400 }, (_, index) => firstLsn + 1 + index));
  } finally {
    await reader.close();
    await writer.close();
  }
});

test('errors reach the iterator: unknown namespace, key and prefix together', async () => {
  const client = await connect(server.url);
  try {
    const unknown = client.subscribe({ ns: 'nope' });
    await assert.rejects(unknown.ready, { status: 'UnknownNamespace' });
    await assert.rejects(unknown.next(), { status: 'UnknownNamespace' });
    const both = client.subscribe({ ns: 'content', key: 'a', prefix: 'a' });
    await assert.rejects(both.next(), { status: 'InvalidArgument' });
  } finally {
    await client.close();
  }
});
