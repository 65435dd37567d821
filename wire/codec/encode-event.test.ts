import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { Change, ChangeKind } from '../../engine/layout/types';
import { decodeServerFrame } from './decode-server-frame';
import { encodeEvent } from './encode-event';
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
