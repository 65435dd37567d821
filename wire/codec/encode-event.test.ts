import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Change, ChangeKind } from '../../engine/layout/types';
import { decodeServerFrame } from './decode-server-frame';
import { EventRunBuilder, encodeEvent, encodeEvents } from './encode-event';
import { eventsPerBatchMax } from './schema-layout';
import { randomChange } from './ops.fixture';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';

const change: Change = {
  lsn: 42,
  kind: 'put',
  ns: 'articles',
  key: new TextEncoder().encode('2026/x'),
  generation: 3,
  expiry: 0,
  lastModified: 1_767_225_600_123,
  contentType: 'text/html',
  value: Uint8Array.of(1, 2, 3),
};

test('every change kind round-trips', () => {
  const kinds: ChangeKind[] = ['put', 'delete', 'touch', 'expired', 'evicted'];
  for (const kind of kinds) {
    const each: Change = { ...change, kind, value: kind === 'put' ? change.value : null };
    assert.deepEqual(decodeServerFrame(encodeEvent(7, each)), { type: 'event', subId: 7, change: each });
  }
});

test('a gap round-trips, and sub id 0 means a topic event', () => {
  assert.deepEqual(decodeServerFrame(encodeEvent(0, { gap: true, oldestLsn: 1000 })), {
    type: 'event',
    subId: 0,
    change: { gap: true, oldestLsn: 1000 },
  });
});

test('includeValue false leaves the value out', () => {
  assert.deepEqual(decodeServerFrame(encodeEvent(1, change, false)), { type: 'event', subId: 1, change: { ...change, value: null } });
});

test('random changes round-trip', () => {
  const seed = testSeed();
  console.log(`event round trip seed=${seed} (TESSERA_SEED=${seed} to replay)`);
  const random = new SeededRandom(seed);
  for (let round = 0; round < 300; round++) {
    const each = randomChange(random);
    const subId = random.below(2 ** 32);
    assert.deepEqual(decodeServerFrame(encodeEvent(subId, each)), { type: 'event', subId, change: each }, `round ${round}`);
  }
});

test('encodeEvents: several changes in one EventBatch frame, each with its value or not, in order', () => {
  const tagged: Change = { ...change, lsn: 44, ns: 'other', tags: new TextEncoder().encode('a b') };
  const removed: Change = { ...change, lsn: 43, kind: 'delete', value: null, contentType: '' };
  const changes = [change, removed, tagged];
  const decoded = decodeServerFrame(encodeEvents(9, changes, [false, true, true], changes.length));
  assert.deepEqual(decoded, {
    type: 'events',
    events: [
      { type: 'event', subId: 9, change: { ...change, value: null } },
      { type: 'event', subId: 9, change: removed },
      { type: 'event', subId: 9, change: tagged },
    ],
  });
});

test('encodeEvents: one change is a plain Event frame; count takes a prefix of the arrays', () => {
  assert.deepEqual(decodeServerFrame(encodeEvents(0, [change, { ...change, lsn: 43 }], [true, true], 1)), { type: 'event', subId: 0, change });
  const two = decodeServerFrame(encodeEvents(0, [change, { ...change, lsn: 43 }, { ...change, lsn: 44 }], [true, true, true], 2));
  assert.equal(two.type, 'events');
  assert.deepEqual(two.type === 'events' ? two.events.map((event) => 'lsn' in event.change && event.change.lsn) : [], [42, 43]);
  assert.throws(() => encodeEvents(0, [change], [true], 0));
  assert.throws(() => encodeEvents(0, [change], [true], 2));
});

test('a batch of more than eventsPerBatchMax events is refused by the client', () => {
  const many = Array.from({ length: eventsPerBatchMax + 1 }, (_, index): Change => ({ ...change, lsn: index + 1 }));
  const values = many.map(() => true);
  const decodedMax = decodeServerFrame(encodeEvents(0, many, values, eventsPerBatchMax));
  assert.equal(decodedMax.type === 'events' ? decodedMax.events.length : 0, eventsPerBatchMax);
  assert.throws(() => encodeEvents(0, many, values, many.length), 'the encoder refuses it too');
});

test('decoding: an LSN of 2^53-1 is read whole; namespaces and media types are decoded per frame even when they change', () => {
  const big: Change = { ...change, lsn: Number.MAX_SAFE_INTEGER };
  assert.deepEqual(decodeServerFrame(encodeEvent(1, big)), { type: 'event', subId: 1, change: big });
  for (const ns of ['a', 'bb', 'a', 'über']) {
    for (const contentType of ['', 'text/plain', 'application/json']) {
      const each: Change = { ...change, ns, contentType };
      assert.deepEqual(decodeServerFrame(encodeEvent(1, each)), { type: 'event', subId: 1, change: each });
    }
  }
});

test('EventRunBuilder: events added one call at a time, other frames encoded between, finish as Event or EventBatch', () => {
  const run = new EventRunBuilder();
  const mutable: Change = { ...change, key: Uint8Array.from(change.key), value: Uint8Array.of(9, 9) };
  run.add(0, mutable, true);
  // The change's bytes may be reused once add returns: the run holds its own encoding.
  mutable.key.fill(0x78);
  (mutable.value as Uint8Array).fill(0);
  encodeEvent(3, { ...change, lsn: 99 });
  assert.deepEqual(decodeServerFrame(run.finishView()), { type: 'event', subId: 0, change: { ...change, value: Uint8Array.of(9, 9) } });
  assert.equal(run.count, 0);
  const changes = [43, 44, 45].map((lsn): Change => ({ ...change, lsn, ns: lsn === 45 ? 'other' : change.ns }));
  for (const each of changes) {
    run.add(0, each, false);
    encodeEvent(1, each);
  }
  assert.deepEqual(decodeServerFrame(run.finishView()), { type: 'events', events: changes.map((each) => ({ type: 'event', subId: 0, change: { ...each, value: null } })) });
  assert.throws(() => run.finishView(), 'an empty run has no frame');
});
