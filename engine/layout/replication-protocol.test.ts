import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MessageType,
  SyncMode,
  decodeReplicationMessage,
  encodeAck,
  encodeHeartbeat,
  encodeHello,
  encodeSnapshotBegin,
  encodeSnapshotChunk,
  encodeSnapshotEnd,
  encodeStart,
  recordsHeaderBytes,
  replicationProtocolVersion,
} from './replication-protocol';
import { RecordsFrameBuilder } from './replication-records-frame';
import { GrowableBytes } from './growable-bytes';
import { WalRecordView, RecordCheck, encodeWalRecord, sealWalRecord } from './wal-record';
import { randomChange, sameChange, seededRandom, testSeed } from './wal.fixture';

const history = Uint8Array.from({ length: 16 }, (_, index) => index * 7 + 1);

test('control messages round trip with their epoch', () => {
  const hello = decodeReplicationMessage(encodeHello(7, history, 2 ** 40 + 3, 'tøken'));
  assert.deepEqual(hello, { type: MessageType.Hello, epoch: 7, historyId: history, lastAppliedLsn: 2 ** 40 + 3, token: 'tøken' });
  assert.deepEqual(decodeReplicationMessage(encodeStart(8, history, 12, SyncMode.Wal)), { type: MessageType.Start, epoch: 8, historyId: history, fromLsn: 12, mode: SyncMode.Wal, previousHistoryId: null, switchLsn: 0 });
  const previous = new Uint8Array(16).fill(9);
  assert.deepEqual(decodeReplicationMessage(encodeStart(9, history, 12, SyncMode.Memory, { historyId: previous, switchLsn: 10 })), {
    type: MessageType.Start, epoch: 9, historyId: history, fromLsn: 12, mode: SyncMode.Memory, previousHistoryId: previous, switchLsn: 10,
  });
  assert.deepEqual(decodeReplicationMessage(encodeSnapshotBegin(9, history, 100, 55, ['content', 'other'])), {
    type: MessageType.SnapshotBegin, epoch: 9, historyId: history, lsn: 100, records: 55, namespaces: ['content', 'other'],
  });
  const chunk = decodeReplicationMessage(encodeSnapshotChunk(9, 3, Uint8Array.of(1, 2, 3, 4)));
  assert.equal(chunk?.type, MessageType.SnapshotChunk);
  assert.deepEqual(chunk.type === MessageType.SnapshotChunk ? [chunk.records, [...chunk.chunk]] : null, [3, [1, 2, 3, 4]]);
  assert.deepEqual(decodeReplicationMessage(encodeSnapshotEnd(9, 100, 2)), { type: MessageType.SnapshotEnd, epoch: 9, lsn: 100, chunks: 2 });
  assert.deepEqual(decodeReplicationMessage(encodeHeartbeat(4294967295, 5, 1.5)), { type: MessageType.Heartbeat, epoch: 4294967295, primaryLastLsn: 5, sentAtMs: 1.5 });
  assert.deepEqual(decodeReplicationMessage(encodeAck(2, 10, 9)), { type: MessageType.Ack, epoch: 2, appliedLsn: 10, durableLsn: 9 });
});

test('encoders refuse what cannot travel', () => {
  assert.throws(() => encodeAck(-1, 1, 1), RangeError);
  assert.throws(() => encodeAck(1, 1.5, 1), RangeError);
  assert.throws(() => encodeHello(1, new Uint8Array(15), 0), RangeError);
  assert.throws(() => encodeSnapshotBegin(1, history, 0, 0, ['']), RangeError);
});

test('records frames round trip (seeded): WAL-encoded and copied WAL records, consecutive LSNs', () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const random = seededRandom(seed);
  const builder = new RecordsFrameBuilder();
  const wal = new GrowableBytes(64);
  const view = new WalRecordView();
  let lsn = 1000;
  for (let frame = 0; frame < 50; frame++) {
    builder.begin(3);
    const changes = [];
    const count = 1 + Math.floor(random() * 40);
    for (let index = 0; index < count; index++) {
      const change = randomChange(random, lsn++);
      changes.push(change);
      if (random() < 0.5) builder.addChange(change);
      else {
        // As the primary copies a record read from its WAL: already sealed.
        wal.length = 0;
        encodeWalRecord(wal, change);
        sealWalRecord(wal.u8, wal.view, 0);
        builder.addSealed(change.lsn, wal.u8, 0, wal.length);
      }
    }
    const bytes = builder.take();
    assert.ok(bytes !== null);
    // As a WebSocket library may hand it over: at an odd offset inside a larger buffer.
    const carrier = new Uint8Array(bytes.length + 3);
    carrier.set(bytes, 3);
    const message = decodeReplicationMessage(carrier.subarray(3));
    assert.ok(message !== null && message.type === MessageType.Records, `frame ${frame} decodes (seed ${seed})`);
    assert.equal(message.epoch, 3);
    assert.equal(message.firstLsn, changes[0]!.lsn);
    assert.equal(message.count, count);
    let at = message.recordsStart;
    for (const change of changes) {
      assert.equal(view.check(message.bytes, at, message.bytes.length), RecordCheck.Ok);
      assert.ok(sameChange(view.toChange(), change), `record ${change.lsn} (seed ${seed})`);
      at += view.recordBytes;
    }
  }
  assert.equal(builder.take(), null, 'an empty builder gives no frame');
});

test('malformed frames decode to null: nothing partial', () => {
  const seed = testSeed();
  const random = seededRandom(seed);
  const builder = new RecordsFrameBuilder();
  builder.begin(1);
  for (let lsn = 1; lsn <= 5; lsn++) builder.addChange(randomChange(random, lsn));
  const good = builder.take()!;
  assert.ok(decodeReplicationMessage(good) !== null);
  const view = new WalRecordView();
  const recordsOf = (bytes: Uint8Array, count: number): string[] => {
    const out: string[] = [];
    for (let index = 0, at = recordsHeaderBytes; index < count; index++, at += view.recordBytes) {
      assert.equal(view.check(bytes, at, bytes.length), RecordCheck.Ok);
      out.push(JSON.stringify({ ...view.toChange(), key: [...view.key()], value: [...(view.value() ?? [])] }));
    }
    return out;
  };
  const original = recordsOf(good, 5);
  // Any single-byte flip after the epoch either fails to decode or (a padding byte, which carries
  // nothing) decodes to exactly the same records: never to different data.
  for (let at = 8; at < good.length; at++) {
    const bad = good.slice();
    bad[at] = bad[at]! ^ 0x41;
    const decoded = decodeReplicationMessage(bad);
    if (decoded === null) continue;
    assert.ok(decoded.type === MessageType.Records && decoded.count === 5 && decoded.firstLsn === 1, `flip at ${at} (seed ${seed})`);
    assert.deepEqual(recordsOf(decoded.bytes, 5), original, `flip at ${at} changed the data (seed ${seed})`);
  }
  assert.equal(decodeReplicationMessage(good.subarray(0, good.length - 8)), null, 'a torn frame');
  const extra = new Uint8Array(good.length + 8);
  extra.set(good);
  assert.equal(decodeReplicationMessage(extra), null, 'bytes after the last record');
  assert.equal(decodeReplicationMessage(new Uint8Array(4)), null, 'shorter than a header');
  const wrongVersion = encodeAck(1, 1, 1);
  wrongVersion[1] = replicationProtocolVersion + 1;
  assert.equal(decodeReplicationMessage(wrongVersion), null, 'another version');
  const unknown = encodeAck(1, 1, 1);
  unknown[0] = 99;
  assert.equal(decodeReplicationMessage(unknown), null, 'an unknown type');
  const badLsn = encodeAck(1, 1, 1);
  new DataView(badLsn.buffer).setFloat64(8, 0.5, true);
  assert.equal(decodeReplicationMessage(badLsn), null, 'an LSN that is not an integer');
  const hello = encodeHello(1, history, 1, 'abc');
  assert.equal(decodeReplicationMessage(hello.subarray(0, hello.length - 1)), null, 'a token shorter than its length');
  const begin = encodeSnapshotBegin(1, history, 1, 1, ['content']);
  assert.equal(decodeReplicationMessage(begin.subarray(0, begin.length - 1)), null, 'a torn namespace name');
});
