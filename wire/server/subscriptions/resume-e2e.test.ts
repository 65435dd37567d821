// End to end: the client's subscriptions resume after the network is cut under them while a
// writer keeps writing (no gap, no duplicate), and report a Gap when the server's change log
// window moved past them during an outage.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type Client } from '../../client';
import type { Subscription } from '../../client/subscription';
import type { SubscriptionEvent } from '../../client/subscription-types';
import { spawnServer, type ServerProcess } from '../server-process.fixture';
import { TestProxy } from './proxy.fixture';

const windowChanges = 256;
let server: ServerProcess;
let proxy: TestProxy;
const text = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? new Uint8Array(0)).toString();
const fastReconnect = { reconnectDelayMsMin: 20, reconnectDelayMsMax: 100 };

before(async () => {
  server = await spawnServer({
    config: {
      logLevel: 'info',
      engine: { shards: 1, sweepIntervalMs: 0, changeLogCapacity: windowChanges, namespaces: [{ name: 'content', mode: 'store' }] },
      limits: { shutdownGraceMs: 2000 },
    },
  });
  proxy = await TestProxy.start(server.port);
});

after(async () => {
  await proxy?.close();
  await server?.stop();
});

/** Takes `count` events, bounded by a deadline. */
async function take(subscription: Subscription, count: number, timeoutMs: number): Promise<SubscriptionEvent[]> {
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
  return events;
}

test('cut mid-stream under write load, five times: every subscriber sees every write once, in order', async () => {
  const writes = 2000;
  const subscribers = 3;
  const writer = await connect(server.wsUrl);
  const readers: Client[] = [];
  try {
    for (let index = 0; index < subscribers; index++) readers.push(await connect(`ws://127.0.0.1:${proxy.port}/v1/ws`, fastReconnect));
    const subscriptions = readers.map((reader, index) => reader.subscribe({ ns: 'content', prefix: 'stream/', values: index !== 1 }));
    await Promise.all(subscriptions.map((subscription) => subscription.ready));
    const collected = subscriptions.map((subscription) => take(subscription, writes, 30_000));
    const cutter = setInterval(() => {
      if (proxy.cuts < 5) proxy.cut();
    }, 60);
    // Bounded: `writes` puts in batches of 10, a pause between batches (about 1,500 writes/s).
    for (let index = 0; index < writes; index += 10) {
      await writer.batch(Array.from({ length: 10 }, (_, offset) => ({ op: 'put' as const, ns: 'content', key: `stream/${(index + offset) % 13}`, value: String(index + offset) })));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    clearInterval(cutter);
    assert.equal(proxy.cuts, 5, 'five cuts while writing');
    const results = await Promise.all(collected);
    for (const [index, events] of results.entries()) {
      assert.equal(events.length, writes, `subscriber ${index}: ${events.length} events`);
      assert.ok(events.every((event) => event.kind === 'put'), 'no gap: the outages were shorter than the window');
      const lsns = events.map((event) => event.lsn);
      for (let at = 1; at < lsns.length; at++) assert.ok((lsns[at] as number) > (lsns[at - 1] as number), 'LSNs grow');
      if (index !== 1) assert.deepEqual(events.map((event) => Number(text(event.value))), Array.from({ length: writes }, (_, at) => at), 'each write once, in order');
      else assert.ok(events.every((event) => event.value === null));
      assert.deepEqual(
        events.map((event) => event.lsn),
        Array.from({ length: writes }, (_, at) => (events[0]?.lsn ?? 0) + at),
        'one shard: consecutive LSNs, nothing skipped',
      );
    }
  } finally {
    await writer.close();
    for (const reader of readers) await reader.close();
  }
});

test('an outage longer than the window: the resumed subscription yields a Gap, then continues', async () => {
  const writer = await connect(server.wsUrl);
  const reader = await connect(`ws://127.0.0.1:${proxy.port}/v1/ws`, fastReconnect);
  try {
    const subscription = reader.subscribe({ ns: 'content', prefix: 'outage/' });
    await subscription.ready;
    await writer.put('content', 'outage/before', 'before');
    const [first] = await take(subscription, 1, 5000);
    assert.equal(text(first?.value ?? null), 'before');
    proxy.refusing = true;
    proxy.cut();
    await writer.batch(Array.from({ length: windowChanges + 50 }, (_, index) => ({ op: 'put' as const, ns: 'content', key: `outage/${index}`, value: `o${index}` })));
    proxy.refusing = false;
    const [gap, next] = await take(subscription, 2, 10_000);
    assert.equal(gap?.kind, 'gap');
    assert.ok(gap !== undefined && gap.kind === 'gap' && gap.oldestLsn > (first?.lsn ?? 0) + 1);
    assert.equal(next?.lsn, gap.oldestLsn);
    assert.equal(text(next?.value ?? null), 'o50', 'the oldest change still held');
    const rest = await take(subscription, windowChanges - 1, 10_000);
    assert.equal(text(rest[rest.length - 1]?.value ?? null), `o${windowChanges + 49}`);
  } finally {
    await writer.close();
    await reader.close();
  }
});
