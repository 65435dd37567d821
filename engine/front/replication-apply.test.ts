// The replica's applier in-process: a primary's records land with the primary's LSNs and every
// field; a replica's shards never log an expiry of their own (which would shift the LSNs), and
// without the follower flag that very divergence is caught, not applied (the check can fail).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeReplicationMessage, MessageType, type Records } from '../layout/replication-protocol';
import { RecordsFrameBuilder } from '../layout/replication-records-frame';
import type { Change } from '../layout/types';
import { Engine } from './engine';
import { ReplicaApplier, ReplicaStreamError } from './replication-apply';

const encoder = new TextEncoder();

function frame(changes: Change[]): Records {
  const builder = new RecordsFrameBuilder();
  builder.begin(1);
  for (const change of changes) builder.addChange(change);
  const message = decodeReplicationMessage(builder.take()!);
  assert.ok(message !== null && message.type === MessageType.Records);
  return message;
}

function put(lsn: number, key: string, value: string, expiry = 0, generation = 7): Change {
  return { lsn, kind: 'put', ns: 'content', key: encoder.encode(key), value: encoder.encode(value), generation, expiry, lastModified: 1_700_000_000_000 + lsn, contentType: 'text/plain' };
}

test('records apply with the primary\'s LSNs, generations and fields; a gap in LSNs is refused', async () => {
  const engine = await Engine.open({ shards: 2, sweepIntervalMs: 0, namespaces: [{ name: 'content', mode: 'store' }] });
  try {
    engine.setReadOnly(true);
    const applier = new ReplicaApplier(engine, new Uint8Array(16).fill(1));
    await applier.applyRecords(frame([put(1, 'a', 'one'), put(2, 'b', 'two', 0, 42), { ...put(3, 'a', ''), kind: 'delete', value: null }]));
    assert.equal(engine.changes.lastLsn, 3);
    assert.equal((await engine.get('content', 'a')).status, 1, 'a is deleted');
    const b = await engine.get('content', 'b');
    assert.deepEqual([b.generation, Buffer.from(b.value!).toString(), b.contentType, b.lastModified], [42, 'two', 'text/plain', 1_700_000_000_002]);
    const logged = engine.changes.readFrom(0);
    assert.ok(!('gap' in logged));
    assert.deepEqual(logged.map((change) => `${change.lsn} ${change.kind}`), ['1 put', '2 put', '3 delete']);
    await assert.rejects(applier.applyRecords(frame([put(5, 'c', 'skipped one')])), ReplicaStreamError);
    assert.equal((await engine.put('content', 'x', 'write')).status, 20, 'a write on a replica answers ReadOnly');
  } finally {
    await engine.close();
  }
});

test('an expired record read on a replica is not removed by the shard: no LSN of its own; without the follower flag the divergence is caught', async () => {
  const engine = await Engine.open({ shards: 1, sweepIntervalMs: 0, directReads: false, namespaces: [{ name: 'content', mode: 'store' }] });
  try {
    engine.setReadOnly(true);
    const applier = new ReplicaApplier(engine, new Uint8Array(16).fill(1));
    const nowSec = Math.floor(Date.now() / 1000);
    await applier.applyRecords(frame([put(1, 'ttl', 'soon gone', nowSec + 10), put(2, 'ttl2', 'soon gone', nowSec + 10)]));
    engine.testing.setClockMs((nowSec + 20) * 1000);
    assert.equal((await engine.get('content', 'ttl')).status, 1, 'expired: NotFound');
    assert.equal(engine.changes.lastLsn, 2, 'the read logged nothing');
    await applier.applyRecords(frame([{ ...put(3, 'ttl', ''), kind: 'expired', value: null }]));
    assert.equal(engine.changes.lastLsn, 3);
    // The check can fail: a shard that removes on read logs `expired` with LSN 4, and the stream's 4 is refused.
    engine.setReadOnly(false);
    assert.equal((await engine.get('content', 'ttl2')).status, 1);
    assert.equal(engine.changes.lastLsn, 4, 'a primary\'s shard logs the lazy expiry');
    await assert.rejects(applier.applyRecords(frame([put(4, 'other', 'value')])), ReplicaStreamError);
    assert.deepEqual(applier.position().historyId, new Uint8Array(16), 'the next hello asks for a full sync');
  } finally {
    await engine.close();
  }
});
