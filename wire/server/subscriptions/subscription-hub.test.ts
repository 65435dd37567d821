// The hub with an in-memory uWS (test-fake-uws.ts) and the client's own feed (test-peer.ts):
// live delivery, values, replay, gaps, unsubscribe, slow connections, and the refusals.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeLog } from '../../../engine/front/change-log';
import { Status } from '../../../engine/layout/status';
import type { ChangeKind, NamespaceConfig } from '../../../engine/layout/types';
import { namespaceDefaults } from '../../../engine/front/config';
import type { ChangeEvent, SubscriptionEvent } from '../../client/subscription-types';
import { SubscriptionHub, type SubscriptionLimits } from './subscription-hub';
import { FakeBroker } from './fake-uws.fixture';
import { TestPeer } from './peer.fixture';

const namespaces: ReadonlyMap<string, NamespaceConfig> = new Map([
  ['content', namespaceDefaults('content')],
  ['other', namespaceDefaults('other')],
]);
const encoder = new TextEncoder();
const text = (bytes: Uint8Array | null): string => (bytes === null ? '' : Buffer.from(bytes).toString());

function setup(capacity = 1024, limits?: Partial<SubscriptionLimits>, coalesceChanges = false) {
  const log = new ChangeLog(capacity);
  const broker = new FakeBroker();
  const hub = new SubscriptionHub(log, broker, namespaces, { subscriberBackpressureBytes: 64 * 1024, subscriptionsPerConnectionMax: 8, ...limits }, { manualTimers: true, coalesceChanges });
  let generation = 0;
  const write = (key: string, value: string | Uint8Array = `v${generation + 1}`, ns = 'content', kind: ChangeKind = 'put'): number => {
    generation++;
    return log.append({
      kind,
      ns,
      key: encoder.encode(key),
      generation,
      expiry: 0,
      lastModified: generation,
      contentType: '',
      value: kind === 'put' ? (typeof value === 'string' ? encoder.encode(value) : value) : null,
    });
  };
  return { log, broker, hub, write };
}

const changesOf = (events: readonly SubscriptionEvent[]): ChangeEvent[] => events.filter((event): event is ChangeEvent => event.kind !== 'gap');
const keysOf = (events: readonly SubscriptionEvent[]): string[] => changesOf(events).map((event) => text(event.key));
const lsnsOf = (events: readonly SubscriptionEvent[]): number[] => events.map((event) => event.lsn);

test('key, prefix, partial prefix and namespace subscriptions each see exactly their changes', () => {
  const { broker, hub, write } = setup();
  const peer = new TestPeer(hub, broker);
  const key = peer.subscribe({ ns: 'content', key: 'articles/2026/x' });
  const level = peer.subscribe({ ns: 'content', prefix: 'articles/2026/' });
  const partial = peer.subscribe({ ns: 'content', prefix: 'articles/20' });
  const whole = peer.subscribe({ ns: 'content' });
  const other = peer.subscribe({ ns: 'other' });
  for (const name of ['articles/2026/x', 'articles/2026/y/z', 'articles/2025/x', 'articles/1999/x', 'pages/home']) write(name);
  write('articles/2026/x', '', 'content', 'delete');
  write('elsewhere', 'v', 'other');
  broker.drain();
  peer.read();
  assert.deepEqual(keysOf(key.events), ['articles/2026/x', 'articles/2026/x']);
  assert.deepEqual(keysOf(level.events), ['articles/2026/x', 'articles/2026/y/z', 'articles/2026/x']);
  assert.deepEqual(keysOf(partial.events), ['articles/2026/x', 'articles/2026/y/z', 'articles/2025/x', 'articles/2026/x']);
  assert.deepEqual(keysOf(whole.events), ['articles/2026/x', 'articles/2026/y/z', 'articles/2025/x', 'articles/1999/x', 'pages/home', 'articles/2026/x']);
  assert.deepEqual(keysOf(other.events), ['elsewhere']);
  assert.deepEqual(changesOf(key.events).map((event) => event.kind), ['put', 'delete']);
  for (const subscription of [key, level, partial, whole, other]) {
    assert.equal(subscription.status, 0);
    const lsns = lsnsOf(subscription.events);
    assert.deepEqual(lsns, [...lsns].sort((a, b) => a - b), 'LSNs grow');
  }
});

test('each change is published once per topic and variant, whatever the number of sockets', () => {
  const { broker, hub, write } = setup();
  const peers = Array.from({ length: 50 }, () => new TestPeer(hub, broker));
  for (const peer of peers) peer.subscribe({ ns: 'content', prefix: 'feed/', values: true });
  write('feed/1');
  assert.equal(broker.published, 1, 'one publish reaches every subscriber');
  peers[0]?.subscribe({ ns: 'content', prefix: 'feed/', values: false });
  peers[1]?.subscribe({ ns: 'content', prefix: 'feed/', values: false });
  write('feed/2');
  assert.equal(broker.published, 2, 'sockets with values and without on the same base share the valued variant');
  const plainPeer = new TestPeer(hub, broker);
  plainPeer.subscribe({ ns: 'content', prefix: 'feed/', values: false });
  write('feed/3');
  assert.equal(broker.published, 4, 'one more publish for the plain variant');
  write('nobody/listens');
  assert.equal(broker.published, 4, 'no publish for a key nobody watches');
  broker.drain();
  for (const peer of peers) peer.read();
  plainPeer.read();
  const valued = peers[2]?.subscriptions[0];
  assert.deepEqual(changesOf(valued?.events ?? []).map((event) => text(event.value)), ['v1', 'v2', 'v3']);
  const plain = plainPeer.subscriptions[0];
  assert.deepEqual(changesOf(plain?.events ?? []).map((event) => event.value), [null]);
  const strippedOnSharedSocket = peers[0]?.subscriptions[1];
  assert.deepEqual(changesOf(strippedOnSharedSocket?.events ?? []).map((event) => event.value), [null, null]);
});

test('fromLsn replays the matching past, then continues live: no gap, no duplicate', () => {
  const { broker, hub, write } = setup();
  for (let index = 1; index <= 20; index++) write(index % 2 === 0 ? `even/${index}` : `odd/${index}`);
  const peer = new TestPeer(hub, broker);
  // A live subscription on the same socket whose frames are already on the wire.
  const everything = peer.subscribe({ ns: 'content' });
  write('even/21a');
  const resumed = peer.subscribe({ ns: 'content', prefix: 'even/', fromLsn: 6 });
  write('even/22');
  broker.drain();
  peer.read();
  assert.deepEqual(lsnsOf(resumed.events), [8, 10, 12, 14, 16, 18, 20, 21, 22]);
  assert.equal(resumed.joinedLsn, 21);
  assert.deepEqual(lsnsOf(everything.events), [21, 22]);
});

test('the answer may come after live frames: they are held, then those after the join point delivered', () => {
  const { broker, hub, write } = setup();
  write('a/1');
  const peer = new TestPeer(hub, broker);
  peer.deferAnswers = true;
  const everything = peer.subscribe({ ns: 'content' });
  peer.flushAnswers();
  write('a/2'); // queued for the socket (through the namespace topic) before the next subscribe
  const resumed = peer.subscribe({ ns: 'content', prefix: 'a/', fromLsn: 0 });
  write('a/3'); // live, and on the wire before the answer
  broker.drain();
  peer.flushAnswers();
  write('a/4');
  broker.drain();
  peer.read();
  assert.equal(resumed.joinedLsn, 2);
  assert.deepEqual(lsnsOf(resumed.events), [1, 2, 3, 4]);
  assert.deepEqual(lsnsOf(everything.events), [2, 3, 4]);
});

test('fromLsn older than the window: a Gap with the oldest LSN, then everything from it', () => {
  const { broker, hub, write } = setup(8);
  for (let index = 1; index <= 20; index++) write(`k/${index}`);
  const peer = new TestPeer(hub, broker);
  const subscription = peer.subscribe({ ns: 'content', prefix: 'k/', fromLsn: 3 });
  peer.read();
  const [gap, ...rest] = subscription.events;
  assert.deepEqual(gap, { kind: 'gap', lsn: 12, oldestLsn: 13, ns: 'content', key: null, value: null });
  assert.deepEqual(lsnsOf(rest), [13, 14, 15, 16, 17, 18, 19, 20]);
});

test('fromLsn beyond the newest change (the log restarted): a Gap, never silence', () => {
  const { broker, hub, write } = setup();
  write('x');
  write('y');
  const peer = new TestPeer(hub, broker);
  const subscription = peer.subscribe({ ns: 'content', fromLsn: 5000 });
  write('z');
  broker.drain();
  peer.read();
  assert.deepEqual(subscription.events.map((event) => [event.kind, event.lsn]), [['gap', 0], ['put', 1], ['put', 2], ['put', 3]]);
});

test('unsubscribe stops delivery; unknown ids and a second unsubscribe answer NotFound', () => {
  const { broker, hub, write } = setup();
  const peer = new TestPeer(hub, broker);
  const kept = peer.subscribe({ ns: 'content', prefix: 'a/' });
  const dropped = peer.subscribe({ ns: 'content', key: 'a/x' });
  write('a/x');
  broker.drain();
  peer.read();
  assert.deepEqual(peer.unsubscribe(dropped), { status: Status.Ok });
  assert.equal(broker.subscribers('k:content:a/x'), 0);
  const publishedBefore = broker.published;
  write('a/x');
  assert.equal(broker.published, publishedBefore + 1, 'the prefix topic only');
  broker.drain();
  peer.read();
  assert.deepEqual(lsnsOf(dropped.events), [1]);
  assert.deepEqual(lsnsOf(kept.events), [1, 2]);
  assert.equal((hub.unsubscribe(peer.session, { op: 'unsubscribe', subId: dropped.op.subId }) as { status: Status }).status, Status.NotFound);
  assert.equal(hub.stats().subscriptions, 1);
  peer.close();
  assert.equal(hub.stats().subscriptions, 0);
  assert.equal(hub.stats().sessions, 0);
  write('a/x');
  assert.equal(broker.published, publishedBefore + 1, 'nothing published once the last subscriber has gone');
});

test('refusals: unknown namespace, sub id in use, too many, key and prefix together, oversized key', () => {
  const { broker, hub } = setup(1024, { subscriptionsPerConnectionMax: 2 });
  const peer = new TestPeer(hub, broker);
  const statusOf = (op: Parameters<SubscriptionHub['subscribe']>[1]): number => {
    const result = hub.subscribe(peer.session, op);
    assert.ok(!(result instanceof Promise));
    return 'status' in result ? result.status : Status.Ok;
  };
  assert.equal(statusOf({ op: 'subscribe', subId: 1, ns: 'nope' }), Status.UnknownNamespace);
  assert.equal(statusOf({ op: 'subscribe', subId: 1, ns: 'content', key: 'a', prefix: 'a' }), Status.InvalidArgument);
  assert.equal(statusOf({ op: 'subscribe', subId: 1, ns: 'content', key: 'x'.repeat(2000) }), Status.KeyTooLarge);
  assert.equal(statusOf({ op: 'subscribe', subId: 1, ns: 'content' }), Status.Ok);
  assert.equal(statusOf({ op: 'subscribe', subId: 1, ns: 'content' }), Status.InvalidArgument);
  assert.equal(statusOf({ op: 'subscribe', subId: 2, ns: 'content' }), Status.Ok);
  assert.equal(statusOf({ op: 'subscribe', subId: 3, ns: 'content' }), Status.InvalidArgument);
});

test('a slow connection leaves its topics, catches up from the log as it drains, and goes live again', () => {
  const { broker, hub, write } = setup(4096, { subscriberBackpressureBytes: 64 * 1024 });
  const slow = new TestPeer(hub, broker);
  const fast = new TestPeer(hub, broker);
  const slowSubscription = slow.subscribe({ ns: 'content', prefix: 'big/' });
  const fastSubscription = fast.subscribe({ ns: 'content', prefix: 'big/' });
  slow.read();
  const value = new Uint8Array(4096).fill(7);
  for (let index = 0; index < 40; index++) write(`big/${index % 4}`, value);
  broker.drain();
  fast.read();
  hub.sweep();
  assert.equal(hub.stats().catchingUp, 1);
  assert.equal(hub.stats().fellBehind, 1);
  assert.equal(broker.subscribers('p:content:big/|v'), 1, 'only the fast socket is left on the topic');
  // While it is behind, changes reach it from the log only as its buffer drains.
  for (let index = 40; index < 100; index++) write(`big/${index % 4}`, value);
  broker.drain();
  fast.read();
  const buffered = slow.socket.getBufferedAmount();
  hub.pump();
  assert.equal(slow.socket.getBufferedAmount(), buffered, 'nothing sent above half the limit');
  // The reader wakes up: read, pump, read... until it is live again (bounded rounds).
  for (let round = 0; round < 100 && hub.stats().catchingUp > 0; round++) {
    slow.read();
    hub.pump();
  }
  assert.equal(hub.stats().catchingUp, 0);
  write('big/last', value);
  broker.drain();
  slow.read();
  fast.read();
  const expected = Array.from({ length: 101 }, (_, index) => index + 1);
  assert.deepEqual(lsnsOf(slowSubscription.events), expected, 'every change once, in order');
  assert.deepEqual(lsnsOf(fastSubscription.events), expected);
});

test('a connection behind by more than the window gets a Gap per subscription, then the rest', () => {
  const { broker, hub, write } = setup(16, { subscriberBackpressureBytes: 64 * 1024 });
  const slow = new TestPeer(hub, broker);
  const first = slow.subscribe({ ns: 'content', prefix: 'big/', values: false });
  const second = slow.subscribe({ ns: 'content', key: 'big/1' });
  const value = new Uint8Array(8192);
  for (let index = 0; index < 20; index++) write(`big/${index % 2}`, value);
  broker.drain();
  hub.sweep();
  assert.equal(hub.stats().catchingUp, 1);
  for (let index = 20; index < 60; index++) write(`big/${index % 2}`, value);
  for (let round = 0; round < 100 && hub.stats().catchingUp > 0; round++) {
    slow.read();
    hub.pump();
  }
  slow.read();
  const gapAt = first.events.findIndex((event) => event.kind === 'gap');
  assert.ok(gapAt > 0, 'a gap after the changes that were sent');
  assert.deepEqual(lsnsOf(first.events.slice(0, gapAt)), Array.from({ length: 20 }, (_, index) => index + 1));
  assert.deepEqual(first.events[gapAt], { kind: 'gap', lsn: 44, oldestLsn: 45, ns: 'content', key: null, value: null });
  assert.deepEqual(lsnsOf(first.events.slice(gapAt + 1)), Array.from({ length: 16 }, (_, index) => index + 45));
  assert.ok(changesOf(first.events).every((event) => event.value === null), 'values: false holds on the catch-up path too');
  const secondGap = second.events.findIndex((event) => event.kind === 'gap');
  assert.deepEqual(lsnsOf(second.events.slice(secondGap + 1)), [46, 48, 50, 52, 54, 56, 58, 60]);
  assert.ok(changesOf(second.events).every((event) => event.value?.byteLength === 8192));
});

test('frames queued for a socket in this turn survive it leaving its topics (the anchor topic)', () => {
  const { broker, hub, write } = setup(4096, { subscriberBackpressureBytes: 64 * 1024 });
  const peer = new TestPeer(hub, broker);
  const subscription = peer.subscribe({ ns: 'content', prefix: 'q/' });
  const value = new Uint8Array(40 * 1024);
  write('q/1', value);
  write('q/2', value);
  broker.drain();
  write('q/3', value); // queued in uWS, not yet on the socket, when the sweep takes it off its topic
  hub.sweep();
  assert.equal(hub.stats().catchingUp, 1);
  for (let round = 0; round < 20 && hub.stats().catchingUp > 0; round++) {
    peer.read();
    hub.pump();
  }
  broker.drain();
  peer.read();
  assert.deepEqual(lsnsOf(subscription.events), [1, 2, 3]);
});

test('a long replay is paced by the socket: the answer waits until it has joined', async () => {
  const { broker, hub, write } = setup(4096, { subscriberBackpressureBytes: 64 * 1024 });
  const value = new Uint8Array(4096);
  for (let index = 0; index < 200; index++) write(`r/${index}`, value);
  const peer = new TestPeer(hub, broker);
  const subscription = peer.subscribe({ ns: 'content', prefix: 'r/', fromLsn: 0 });
  assert.ok(peer.socket.getBufferedAmount() <= 64 * 1024, 'the first turn stops at half the limit (plus one frame)');
  assert.equal(subscription.joinedLsn, null);
  write('r/live', value);
  for (let round = 0; round < 200 && subscription.joinedLsn === null; round++) {
    peer.read();
    hub.pump();
    await Promise.resolve();
    write(`r/during-${round}`, value);
    broker.drain();
  }
  peer.read();
  assert.ok(subscription.joinedLsn !== null && subscription.joinedLsn > 200);
  write('r/after', value);
  broker.drain();
  peer.read();
  const lsns = lsnsOf(subscription.events);
  assert.deepEqual(lsns, Array.from({ length: lsns.length }, (_, index) => index + 1));
  assert.equal(lsns.length, hub.stats().bytesPublished > 0 ? lsns[lsns.length - 1] : 0);
});

test('stop() answers replays still running with ShuttingDown and stops publishing', async () => {
  const { broker, hub, write } = setup(4096, { subscriberBackpressureBytes: 64 * 1024 });
  const value = new Uint8Array(8192);
  for (let index = 0; index < 100; index++) write(`s/${index}`, value);
  const peer = new TestPeer(hub, broker);
  const result = hub.subscribe(peer.session, { op: 'subscribe', subId: 9, ns: 'content', fromLsn: 0 });
  assert.ok(result instanceof Promise);
  hub.stop();
  assert.equal(((await result) as { status: number }).status, Status.ShuttingDown);
  const published = broker.published;
  write('s/after');
  assert.equal(broker.published, published);
});

test('coalesced: the changes of one turn reach a topic as one EventBatch frame, published once', () => {
  const { broker, hub, write } = setup(1024, {}, true);
  const peers = Array.from({ length: 20 }, () => new TestPeer(hub, broker));
  const subscriptions = peers.map((peer) => peer.subscribe({ ns: 'content', prefix: 'feed/', values: true }));
  for (let index = 1; index <= 5; index++) write(`feed/${index}`);
  write('elsewhere/1');
  assert.equal(broker.published, 0, 'held until the turn ends');
  hub.flush();
  assert.equal(broker.published, 1, 'one frame for the five changes, one publish for every socket');
  assert.equal(hub.stats().batchesPublished, 1);
  assert.equal(hub.stats().eventsPublished, 5, 'the metric counts events, not frames');
  broker.drain();
  for (const peer of peers) peer.read();
  for (const subscription of subscriptions) {
    assert.deepEqual(keysOf(subscription.events), ['feed/1', 'feed/2', 'feed/3', 'feed/4', 'feed/5']);
    assert.deepEqual(changesOf(subscription.events).map((event) => text(event.value)), ['v1', 'v2', 'v3', 'v4', 'v5']);
  }
});

test('coalesced: a change published with and without values goes alone, so one socket on both still gets each change once, with its value where asked', () => {
  const { broker, hub, write } = setup(1024, {}, true);
  const both = new TestPeer(hub, broker);
  const plainKey = both.subscribe({ ns: 'content', key: 'feed/1', values: false });
  const valuedPrefix = both.subscribe({ ns: 'content', prefix: 'feed/', values: true });
  const whole = both.subscribe({ ns: 'content', values: false });
  for (const key of ['feed/2', 'feed/1', 'feed/3', 'other/1', 'feed/1', 'feed/4']) write(key);
  write('feed/5', '', 'content', 'delete');
  hub.flush();
  broker.drain();
  both.read();
  assert.deepEqual(keysOf(plainKey.events), ['feed/1', 'feed/1']);
  assert.deepEqual(changesOf(plainKey.events).map((event) => event.value), [null, null]);
  assert.deepEqual(keysOf(valuedPrefix.events), ['feed/2', 'feed/1', 'feed/3', 'feed/1', 'feed/4', 'feed/5']);
  assert.deepEqual(changesOf(valuedPrefix.events).map((event) => text(event.value)), ['v1', 'v2', 'v3', 'v5', 'v6', '']);
  assert.deepEqual(keysOf(whole.events), ['feed/2', 'feed/1', 'feed/3', 'other/1', 'feed/1', 'feed/4', 'feed/5']);
  for (const subscription of [plainKey, valuedPrefix, whole]) {
    const lsns = lsnsOf(subscription.events);
    assert.deepEqual(lsns, [...lsns].sort((a, b) => a - b), 'LSNs grow');
  }
});

test('coalesced: held changes are published before a subscribe joins, so its join point covers them', () => {
  const { broker, hub, write } = setup(1024, {}, true);
  const early = new TestPeer(hub, broker);
  const first = early.subscribe({ ns: 'content', prefix: 'j/' });
  write('j/1');
  write('j/2');
  const late = new TestPeer(hub, broker);
  const second = late.subscribe({ ns: 'content', prefix: 'j/' });
  assert.ok(broker.published > 0, 'the subscribe flushed what was held');
  write('j/3');
  hub.flush();
  broker.drain();
  early.read();
  late.read();
  assert.deepEqual(keysOf(first.events), ['j/1', 'j/2', 'j/3']);
  assert.deepEqual(keysOf(second.events), ['j/3']);
});
