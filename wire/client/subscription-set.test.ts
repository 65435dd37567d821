// SubscriptionSet and Subscription with a fake transport: what is sent when, resume from the last
// LSN after a reconnect, stale answers, failures, pause and resume of a full queue, close.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Status } from '../../engine/layout/status';
import type { Change } from '../../engine/layout/types';
import type { SubscribeOp, WireOp, WireResult } from '../codec/wire-types';
import { EventRouter } from './event-router';
import { SubscriptionSet } from './subscription-set';
import { TesseraError } from './tessera-error';

const encoder = new TextEncoder();
const change = (lsn: number, key: string, ns = 'content'): Change => ({
  lsn,
  kind: 'put',
  ns,
  key: encoder.encode(key),
  generation: 1,
  expiry: 0,
  lastModified: 0,
  contentType: '',
  value: encoder.encode(`v${lsn}`),
});
const result = (status: Status, cursor: string | null = null): WireResult => ({
  status,
  cursor,
  generation: 0,
  expiry: 0,
  lastModified: 0,
  contentType: '',
  value: null,
  created: false,
  deleted: 0,
  records: [],
  message: null,
});

class FakeTransport {
  open = true;
  readonly sent: { op: WireOp; resolve: (result: WireResult) => void; reject: (error: unknown) => void }[] = [];

  request(op: WireOp): Promise<WireResult> {
    return new Promise((resolve, reject) => this.sent.push({ op, resolve, reject }));
  }

  isOpen(): boolean {
    return this.open;
  }

  subscribes(): SubscribeOp[] {
    return this.sent.map((entry) => entry.op).filter((op): op is SubscribeOp => op.op === 'subscribe');
  }

  last(): { op: WireOp; resolve: (result: WireResult) => void; reject: (error: unknown) => void } {
    const entry = this.sent[this.sent.length - 1];
    assert.ok(entry !== undefined);
    return entry;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup() {
  const router = new EventRouter();
  const transport = new FakeTransport();
  const set = new SubscriptionSet(router, transport);
  return { router, transport, set };
}

test('subscribe is sent at once when open; ready resolves with the join LSN from the answer', async () => {
  const { transport, set } = setup();
  const subscription = set.add({ ns: 'content', prefix: 'a/' });
  const sent = transport.subscribes();
  assert.equal(sent.length, 1);
  assert.deepEqual({ ...sent[0], subId: 0 }, { op: 'subscribe', subId: 0, ns: 'content', key: undefined, prefix: 'a/', fromLsn: undefined, values: true });
  transport.last().resolve(result(Status.Ok, '41'));
  assert.equal(await subscription.ready, 41);
  set.routeShared(change(42, 'a/x'));
  set.routeShared(change(43, 'a/y', 'other'));
  const step = await subscription.next();
  assert.equal(step.done, false);
  assert.equal(step.value?.lsn, 42);
  assert.equal(subscription.queued, 0);
});

test('after a reconnect it subscribes again, with a new sub id, from the last LSN it delivered', async () => {
  const { router, transport, set } = setup();
  const subscription = set.add({ ns: 'content', key: 'k' });
  const firstId = transport.subscribes()[0]?.subId ?? 0;
  transport.last().resolve(result(Status.Ok, '10'));
  await tick();
  set.routeShared(change(11, 'k'));
  set.routeShared(change(12, 'k'));
  transport.open = false;
  set.connectionLost();
  transport.sent[0]?.reject(TesseraError.client('ConnectionLost'));
  router.route({ type: 'event', subId: firstId, change: change(13, 'k') });
  set.routeShared(change(13, 'k'));
  transport.open = true;
  set.connectionOpened();
  const again = transport.subscribes()[1];
  assert.ok(again !== undefined && again.subId !== firstId);
  assert.equal(again.fromLsn, 12);
  // The replay repeats 12 (dropped) and brings 13.
  router.route({ type: 'event', subId: again.subId, change: change(12, 'k') });
  router.route({ type: 'event', subId: again.subId, change: change(13, 'k') });
  transport.last().resolve(result(Status.Ok, '13'));
  await tick();
  const lsns: number[] = [];
  for (let index = 0; index < 3; index++) lsns.push((await subscription.next()).value?.lsn ?? -1);
  assert.deepEqual(lsns, [11, 12, 13]);
  assert.equal(subscription.queued, 0);
});

test('an answer to an attempt given up on is ignored; ShuttingDown waits for the reconnect', async () => {
  const { transport, set } = setup();
  const subscription = set.add({ ns: 'content' });
  const stale = transport.last();
  transport.open = false;
  set.connectionLost();
  transport.open = true;
  set.connectionOpened();
  stale.resolve(result(Status.Ok, '99'));
  const current = transport.last();
  current.resolve(result(Status.ShuttingDown));
  await tick();
  assert.equal(subscription.ended, false);
  assert.equal(subscription.position, null);
});

test('a refused subscribe fails the iteration with the status', async () => {
  const { transport, set } = setup();
  const subscription = set.add({ ns: 'nope' });
  transport.last().resolve(result(Status.UnknownNamespace));
  await assert.rejects(subscription.next(), (error: unknown) => error instanceof TesseraError && error.status === 'UnknownNamespace');
  await assert.rejects(subscription.ready, { status: 'UnknownNamespace' });
  assert.equal(set.size, 0);
});

test('a full queue pauses (unsubscribe on the server) and resumes from the last queued LSN', async () => {
  const { transport, set } = setup();
  const subscription = set.add({ ns: 'content', queueMax: 4 });
  const first = transport.subscribes()[0];
  transport.last().resolve(result(Status.Ok, '0'));
  await tick();
  for (let lsn = 1; lsn <= 10; lsn++) set.routeShared(change(lsn, `k${lsn}`));
  assert.equal(subscription.paused, true);
  assert.equal(subscription.queued, 4);
  assert.deepEqual(transport.last().op, { op: 'unsubscribe', subId: first?.subId });
  const taken: number[] = [];
  for (let index = 0; index < 2; index++) taken.push((await subscription.next()).value?.lsn ?? -1);
  assert.equal(subscription.paused, false, 'resumed at half');
  const resumed = transport.last().op as SubscribeOp;
  assert.equal(resumed.op, 'subscribe');
  assert.equal(resumed.fromLsn, 4);
  assert.deepEqual(taken, [1, 2]);
});

test('close() unsubscribes and ends the iteration; closeAll and failAll end the rest', async () => {
  const { transport, set } = setup();
  const closed = set.add({ ns: 'content' });
  transport.last().resolve(result(Status.Ok, '0'));
  await tick();
  const subId = (transport.subscribes()[0] as SubscribeOp).subId;
  const waiting = closed.next();
  await closed.close();
  assert.deepEqual(transport.last().op, { op: 'unsubscribe', subId });
  assert.deepEqual(await waiting, { done: true, value: undefined });
  const ended = set.add({ ns: 'content' });
  set.closeAll();
  assert.deepEqual(await ended.next(), { done: true, value: undefined });
  const late = set.add({ ns: 'content' });
  await assert.rejects(late.next(), { status: 'ClientClosed' });
  const other = setup();
  const failed = other.set.add({ ns: 'content' });
  other.set.failAll(TesseraError.client('ConnectionLost'));
  await assert.rejects(failed.next(), { status: 'ConnectionLost' });
});

test('a subscribe answered Recovering (a node replaying its data dir) is asked again, from the same position', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { transport, set } = setup();
  const subscription = set.add({ ns: 'content', prefix: 'a/', fromLsn: 40 });
  transport.last().resolve(result(Status.Recovering));
  await tick();
  assert.equal(transport.subscribes().length, 1, 'not at once');
  t.mock.timers.tick(250);
  await tick();
  const again = transport.subscribes();
  assert.equal(again.length, 2, 'asked again after the retry delay');
  assert.equal(again[1]?.fromLsn, 40);
  assert.notEqual(again[1]?.subId, again[0]?.subId);
  // Still recovering: asked once more; then it joins and the subscription is live.
  transport.sent.filter((entry) => entry.op.op === 'subscribe').at(-1)?.resolve(result(Status.Recovering));
  await tick();
  t.mock.timers.tick(250);
  await tick();
  assert.equal(transport.subscribes().length, 3);
  transport.sent.filter((entry) => entry.op.op === 'subscribe').at(-1)?.resolve(result(Status.Ok, '40'));
  assert.equal(await subscription.ready, 40);
  assert.equal(subscription.ended, false);
});

test('routeFrame: an EventBatch delivers its events in order, shared ones by filter, own ones by sub id', async () => {
  const { transport, set } = setup();
  const prefix = set.add({ ns: 'content', prefix: 'a/' });
  const key = set.add({ ns: 'content', key: 'b' });
  const [prefixOp, keyOp] = transport.subscribes();
  assert.ok(prefixOp !== undefined && keyOp !== undefined);
  transport.sent[0]?.resolve(result(Status.Ok, '10'));
  await prefix.ready;
  // The key subscription is still replaying: its own frames come with its sub id.
  set.routeFrame({
    type: 'events',
    events: [
      { type: 'event', subId: keyOp.subId, change: change(9, 'b') },
      { type: 'event', subId: 0, change: change(11, 'a/x') },
      { type: 'event', subId: 0, change: change(12, 'c') },
      { type: 'event', subId: 0, change: change(13, 'a/y') },
    ],
  });
  transport.sent[1]?.resolve(result(Status.Ok, '9'));
  await key.ready;
  set.routeFrame({ type: 'event', subId: 0, change: change(14, 'b') });
  const lsns = async (subscription: typeof prefix, count: number): Promise<number[]> => {
    const seen: number[] = [];
    for (let index = 0; index < count; index++) seen.push((await subscription.next()).value?.lsn ?? -1);
    return seen;
  };
  assert.deepEqual(await lsns(prefix, 2), [11, 13]);
  assert.deepEqual(await lsns(key, 2), [9, 14]);
  assert.equal(prefix.queued + key.queued, 0);
});
