// SubscriptionFeed on its own: which frames a subscription takes, held frames until the answer,
// duplicates, gaps, values, and a consumer refusing an event.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Change } from '../../engine/layout/types';
import { heldFramesMax, SubscriptionFeed } from './subscription-feed';
import type { SubscriptionEvent } from './subscription-types';

const encoder = new TextEncoder();
const change = (lsn: number, key: string, value: string | null = `v${lsn}`, ns = 'content'): Change => ({
  lsn,
  kind: value === null ? 'delete' : 'put',
  ns,
  key: encoder.encode(key),
  generation: 1,
  expiry: 0,
  lastModified: 0,
  contentType: '',
  value: value === null ? null : encoder.encode(value),
});
const frame = (subId: number, body: Change | { gap: true; oldestLsn: number }) => ({ type: 'event' as const, subId, change: body });

function collector(): { events: SubscriptionEvent[]; emit: (event: SubscriptionEvent) => boolean } {
  const events: SubscriptionEvent[] = [];
  return { events, emit: (event) => events.push(event) > 0 };
}

const prefixFeed = (fromLsn: number | null = null, values = true): SubscriptionFeed =>
  new SubscriptionFeed({ ns: 'content', key: null, prefix: encoder.encode('a/') }, values, fromLsn);

test('idle until begin; pending holds shared frames; the answer drops those at or below the join LSN', () => {
  const feed = prefixFeed();
  const { events, emit } = collector();
  feed.shared(change(1, 'a/x'), emit);
  assert.equal(events.length, 0, 'idle: ignored');
  feed.begin(7);
  feed.shared(change(4, 'a/x'), emit);
  feed.shared(change(5, 'b/x'), emit);
  feed.shared(change(6, 'a/y'), emit);
  assert.equal(events.length, 0, 'pending: held');
  assert.equal(feed.joined(4, emit), true);
  assert.deepEqual(events.map((event) => event.lsn), [6]);
  assert.equal(feed.position, 6);
  feed.shared(change(6, 'a/y'), emit);
  feed.shared(change(7, 'a/z', null), emit);
  assert.deepEqual(events.map((event) => [event.lsn, event.kind]), [[6, 'put'], [7, 'delete']]);
});

test('own frames replay before the answer; frames of another attempt are ignored', () => {
  const feed = prefixFeed(2);
  const { events, emit } = collector();
  feed.begin(3);
  feed.own(frame(3, change(3, 'a/1')), emit);
  feed.own(frame(9, change(4, 'a/2')), emit);
  feed.own(frame(3, change(5, 'a/3')), emit);
  feed.joined(5, emit);
  assert.deepEqual(events.map((event) => event.lsn), [3, 5]);
});

test('a gap moves the position to oldestLsn - 1, even backwards (the server restarted)', () => {
  const feed = prefixFeed(5000);
  const { events, emit } = collector();
  feed.begin(1);
  feed.own(frame(1, { gap: true, oldestLsn: 1 }), emit);
  feed.own(frame(1, change(1, 'a/1')), emit);
  feed.joined(1, emit);
  assert.deepEqual(events, [
    { kind: 'gap', lsn: 0, oldestLsn: 1, ns: 'content', key: null, value: null },
    events[1],
  ]);
  assert.equal(events[1]?.lsn, 1);
});

test('values: false strips values; values: true skips a valueless put (its valued copy is coming)', () => {
  const plain = prefixFeed(null, false);
  const valued = prefixFeed(null, true);
  const plainOut = collector();
  const valuedOut = collector();
  for (const feed of [plain, valued]) {
    feed.begin(1);
    feed.joined(0, () => true);
  }
  const stripped = { ...change(1, 'a/x'), value: null };
  plain.shared(change(1, 'a/x'), plainOut.emit);
  valued.shared(stripped, valuedOut.emit);
  valued.shared(change(1, 'a/x'), valuedOut.emit);
  assert.deepEqual(plainOut.events.map((event) => event.value), [null]);
  assert.deepEqual(valuedOut.events.map((event) => event.value && Buffer.from(event.value).toString()), ['v1']);
});

test('key, prefix and namespace filters; other namespaces never match', () => {
  const key = new SubscriptionFeed({ ns: 'content', key: encoder.encode('a/x'), prefix: null }, true, null);
  const whole = new SubscriptionFeed({ ns: 'content', key: null, prefix: null }, true, null);
  assert.equal(key.matches('content', encoder.encode('a/x')), true);
  assert.equal(key.matches('content', encoder.encode('a/xy')), false);
  assert.equal(whole.matches('content', encoder.encode('anything')), true);
  assert.equal(whole.matches('other', encoder.encode('anything')), false);
  assert.equal(prefixFeed().matches('content', encoder.encode('a')), false);
});

test('a refused event leaves the position before it and makes the feed idle', () => {
  const feed = prefixFeed(0);
  feed.begin(1);
  feed.joined(0, () => true);
  let room = 2;
  const accepted: number[] = [];
  const emit = (event: SubscriptionEvent): boolean => {
    if (room === 0) return false;
    room--;
    accepted.push(event.lsn);
    return true;
  };
  for (let lsn = 1; lsn <= 5; lsn++) feed.shared(change(lsn, 'a/x'), emit);
  assert.deepEqual(accepted, [1, 2]);
  assert.equal(feed.position, 2);
  assert.equal(feed.state, 'idle');
});

test('more held frames than heldFramesMax: joined() asks for a resubscribe from the join LSN', () => {
  const feed = prefixFeed();
  const { events, emit } = collector();
  feed.begin(1);
  for (let lsn = 1; lsn <= heldFramesMax + 1; lsn++) feed.shared(change(lsn, 'a/x'), emit);
  assert.equal(feed.joined(10, emit), false);
  assert.equal(feed.position, 10);
  assert.equal(events.length, 0);
});
