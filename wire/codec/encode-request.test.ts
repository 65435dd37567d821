import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeRequest } from './decode-request';
import { encodeRequest, encodeRequestView } from './encode-request';
import { randomOp } from './ops.fixture';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';

test('values the protocol cannot carry throw instead of being truncated', () => {
  assert.throws(() => encodeRequest(-1, []), RangeError);
  assert.throws(() => encodeRequest(2 ** 53, []), RangeError);
  assert.throws(() => encodeRequest(1.5, []), RangeError);
  assert.throws(() => encodeRequest(1, [{ op: 'delete', ns: 'n', key: 'k', ifGeneration: 2 ** 32 }]), RangeError);
  assert.throws(() => encodeRequest(1, [{ op: 'unsubscribe', subId: -1 }]), RangeError);
  assert.throws(() => encodeRequest(1, [{ op: 'subscribe', subId: 1, ns: 'n', fromLsn: -1 }]), RangeError);
});

test('a get costs only its namespace, key and id: the kind is the default', () => {
  const frame = encodeRequest(1, [{ op: 'get', ns: 'n', key: 'k' }]);
  assert.ok(frame.length <= 80, `${frame.length} bytes`);
  assert.ok(decodeRequest(frame).ok);
});

test('the view encoder writes the bytes encodeRequest writes, and the next frame reuses its memory', () => {
  const seed = testSeed();
  console.log(`seed ${seed} (TESSERA_SEED=${seed} repeats it)`);
  const random = new SeededRandom(seed);
  for (let trial = 0; trial < 200; trial++) {
    const ops = Array.from({ length: 1 + random.below(8) }, () => randomOp(random));
    let expected: Uint8Array;
    try {
      expected = encodeRequest(trial, ops);
    } catch {
      continue; // an op the protocol cannot carry (randomOp makes some): encodeRequest's own test
    }
    const view = encodeRequestView(trial, ops);
    assert.deepEqual(view.slice(), expected, `trial ${trial}`);
  }
  const first = encodeRequestView(1, [{ op: 'get', ns: 'n', key: 'a' }]);
  const copy = first.slice();
  encodeRequestView(2, [{ op: 'get', ns: 'n', key: 'b' }]);
  assert.notDeepEqual(first, copy, 'a view is only valid until the next frame: callers copy it at once');
});
