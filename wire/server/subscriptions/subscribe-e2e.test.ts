// End to end through a real server process: subscribe and unsubscribe over /v1/ws exactly as the
// wire carries them, changes made over HTTP reaching subscribers, prefix levels, replay and Gap.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Status } from '../../../engine/layout/status';
import type { Change, ChangeGap } from '../../../engine/layout/types';
import { connect } from '../../client';
import type { ChangeEvent } from '../../client/subscription-types';
import { spawnServer, type ServerProcess } from '../server-process.fixture';
import { RawSubscriber } from './subscriber.fixture';

const windowChanges = 64;
let server: ServerProcess;
const text = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? new Uint8Array(0)).toString();
const changeOf = (change: Change | ChangeGap): Change => {
  assert.ok(!('gap' in change), 'a change, not a gap');
  return change;
};

before(async () => {
  server = await spawnServer({
    config: {
      logLevel: 'info',
      engine: { shards: 2, sweepIntervalMs: 0, changeLogCapacity: windowChanges, namespaces: [{ name: 'content', mode: 'store' }, { name: 'other', mode: 'cache' }] },
      limits: { shutdownGraceMs: 2000 },
    },
  });
});

after(async () => {
  await server?.stop();
});

test('subscribe answers with the join LSN; events carry sub id 0 and every field; unsubscribe stops them', async () => {
  const subscriber = await RawSubscriber.open(server.wsUrl);
  const writer = await RawSubscriber.open(server.wsUrl);
  try {
    const answer = await subscriber.request([
      { op: 'subscribe', subId: 7, ns: 'content', key: 'raw/a' },
      { op: 'subscribe', subId: 8, ns: 'content', prefix: 'raw/', values: false },
    ]);
    assert.equal(answer.status, Status.Ok);
    assert.deepEqual(answer.results.map((result) => result.status), [Status.Ok, Status.Ok]);
    const joinedLsn = Number(answer.results[0]?.cursor);
    assert.ok(Number.isSafeInteger(joinedLsn));
    const put = await writer.request([{ op: 'put', ns: 'content', key: 'raw/a', value: 'alpha', ttl: 3600, contentType: 'text/plain' }]);
    assert.equal(put.results[0]?.status, Status.Ok);
    // One frame per topic variant the connection listens on: the key (valued) and the prefix (plain).
    await subscriber.until(() => subscriber.events.length >= 2);
    const [first, second] = subscriber.events.map((event) => ({ subId: event.subId, change: changeOf(event.change) }));
    assert.equal(first?.subId, 0);
    assert.equal(second?.subId, 0);
    const valued = [first, second].find((event) => event?.change.value !== null)?.change;
    const plain = [first, second].find((event) => event?.change.value === null)?.change;
    assert.ok(valued !== undefined && plain !== undefined);
    assert.equal(valued.lsn, joinedLsn + 1);
    assert.equal(valued.kind, 'put');
    assert.equal(valued.ns, 'content');
    assert.equal(text(valued.key), 'raw/a');
    assert.equal(valued.generation, 1);
    assert.ok(valued.expiry > Date.now() / 1000);
    assert.equal(valued.contentType, 'text/plain');
    assert.equal(text(valued.value), 'alpha');
    assert.equal(plain.lsn, valued.lsn);
    const gone = await subscriber.request([{ op: 'unsubscribe', subId: 7 }, { op: 'unsubscribe', subId: 8 }, { op: 'unsubscribe', subId: 8 }]);
    assert.deepEqual(gone.results.map((result) => result.status), [Status.Ok, Status.Ok, Status.NotFound]);
    const before = subscriber.events.length;
    await writer.request([{ op: 'put', ns: 'content', key: 'raw/a', value: 'beta' }]);
    // A request after the write: its answer arrives after any event the write would have caused.
    await subscriber.request([{ op: 'get', ns: 'content', key: 'raw/a' }]);
    assert.equal(subscriber.events.length, before);
    const refused = await subscriber.request([
      { op: 'subscribe', subId: 9, ns: 'nope' },
      { op: 'subscribe', subId: 10, ns: 'content' },
      { op: 'subscribe', subId: 10, ns: 'content' },
    ]);
    assert.deepEqual(refused.results.map((result) => result.status), [Status.UnknownNamespace, Status.Ok, Status.InvalidArgument]);
  } finally {
    await subscriber.close();
    await writer.close();
  }
});

test('changes made over HTTP reach subscribers: put, replace, delete', async () => {
  const client = await connect(server.wsUrl);
  try {
    const subscription = client.subscribe({ ns: 'content', prefix: 'http/' });
    await subscription.ready;
    const put = (body: string): Promise<Response> => fetch(`${server.httpUrl}/v1/content/http/page`, { method: 'PUT', body, headers: { 'content-type': 'text/html' } });
    assert.equal((await put('<p>one</p>')).status, 201);
    assert.equal((await put('<p>two</p>')).status, 200);
    assert.equal((await fetch(`${server.httpUrl}/v1/content/http/page`, { method: 'DELETE' })).status, 204);
    const events: ChangeEvent[] = [];
    for (let index = 0; index < 3; index++) {
      const step = await subscription.next();
      assert.ok(step.done !== true && step.value.kind !== 'gap');
      events.push(step.value);
    }
    assert.deepEqual(events.map((event) => [event.kind, text(event.key), event.generation, text(event.value), event.contentType]), [
      ['put', 'http/page', 1, '<p>one</p>', 'text/html'],
      ['put', 'http/page', 2, '<p>two</p>', 'text/html'],
      ['delete', 'http/page', 2, '', ''],
    ]);
  } finally {
    await client.close();
  }
});

test('a prefix subscription sees every level below it; a key and a namespace subscription theirs', async () => {
  const client = await connect(server.wsUrl);
  const writer = await connect(server.wsUrl);
  try {
    const level = client.subscribe({ ns: 'content', prefix: 'articles/2026/', values: false });
    const partial = client.subscribe({ ns: 'content', prefix: 'articles/20', values: false });
    const key = client.subscribe({ ns: 'content', key: 'articles/2026/y/z', values: false });
    const other = client.subscribe({ ns: 'other', values: false });
    await Promise.all([level.ready, partial.ready, key.ready, other.ready]);
    for (const name of ['articles/2026/x', 'articles/2025/x', 'articles/2026/y/z', 'articles/1999/x', 'articles/2026']) await writer.put('content', name, 'v');
    await writer.put('other', 'o', 'v');
    const keysOf = async (subscription: typeof level, count: number): Promise<string[]> => {
      const keys: string[] = [];
      for (let index = 0; index < count; index++) {
        const step = await subscription.next();
        assert.ok(step.done !== true && step.value.kind !== 'gap');
        keys.push(text(step.value.key));
      }
      return keys;
    };
    assert.deepEqual(await keysOf(level, 2), ['articles/2026/x', 'articles/2026/y/z']);
    assert.deepEqual(await keysOf(partial, 4), ['articles/2026/x', 'articles/2025/x', 'articles/2026/y/z', 'articles/2026']);
    assert.deepEqual(await keysOf(key, 1), ['articles/2026/y/z']);
    assert.deepEqual(await keysOf(other, 1), ['o']);
    assert.equal(level.queued + partial.queued + key.queued + other.queued, 0, 'nothing else arrived');
  } finally {
    await client.close();
    await writer.close();
  }
});

test('fromLsn inside the window replays; older than the window gives a Gap with the oldest LSN held', async () => {
  const writer = await connect(server.wsUrl);
  const subscriber = await RawSubscriber.open(server.wsUrl);
  try {
    await writer.batch(Array.from({ length: windowChanges * 2 }, (_, index) => ({ op: 'put' as const, ns: 'content', key: `window/${index}`, value: `w${index}` })));
    const probe = await subscriber.request([{ op: 'subscribe', subId: 1, ns: 'content', key: 'window/none' }]);
    const lastLsn = Number(probe.results[0]?.cursor);
    const inside = await subscriber.request([{ op: 'subscribe', subId: 2, ns: 'content', prefix: 'window/', fromLsn: lastLsn - 10 }]);
    assert.equal(Number(inside.results[0]?.cursor), lastLsn);
    const replayed = subscriber.events.filter((event) => event.subId === 2).map((event) => changeOf(event.change));
    assert.deepEqual(replayed.map((change) => change.lsn), Array.from({ length: 10 }, (_, index) => lastLsn - 9 + index));
    // Two shards: a batch's changes enter the log shard by shard, so LSN order is not op order.
    assert.ok(replayed.every((change) => text(change.value).startsWith('w') && text(change.key).startsWith('window/')), 'values replayed');
    await subscriber.request([{ op: 'subscribe', subId: 3, ns: 'content', prefix: 'window/', fromLsn: 1, values: false }]);
    const old = subscriber.events.filter((event) => event.subId === 3);
    const gap = old[0]?.change;
    assert.ok(gap !== undefined && 'gap' in gap);
    assert.equal(gap.oldestLsn, lastLsn - windowChanges + 1);
    assert.deepEqual(old.slice(1).map((event) => changeOf(event.change).lsn), Array.from({ length: windowChanges }, (_, index) => gap.oldestLsn + index));
  } finally {
    await writer.close();
    await subscriber.close();
  }
});

test('the changes of one request reach a subscriber of their prefix as one EventBatch frame, in order', async () => {
  const subscriber = await RawSubscriber.open(server.wsUrl);
  const writer = await RawSubscriber.open(server.wsUrl);
  try {
    const answer = await subscriber.request([{ op: 'subscribe', subId: 1, ns: 'content', prefix: 'batch/' }]);
    const joinedLsn = Number(answer.results[0]?.cursor);
    const keys = Array.from({ length: 10 }, (_, index) => `batch/${index}`);
    const put = await writer.request(keys.map((key) => ({ op: 'put' as const, ns: 'content', key, value: key })));
    assert.deepEqual(put.results.map((result) => result.status), keys.map(() => Status.Ok));
    await subscriber.until(() => subscriber.events.length >= keys.length);
    const changes = subscriber.events.map((event) => changeOf(event.change));
    // Two shards: LSN order is the order the front drained them, not the order in the request.
    assert.deepEqual(changes.map((change) => change.lsn), keys.map((_, index) => joinedLsn + 1 + index));
    assert.deepEqual(changes.map((change) => text(change.key)).sort(), keys);
    for (const change of changes) assert.equal(text(change.value), text(change.key));
    assert.ok(subscriber.batchFrames >= 1 && subscriber.batchFrames < keys.length, `${subscriber.batchFrames} batch frames for ${keys.length} changes`);
  } finally {
    subscriber.close();
    writer.close();
  }
});
