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

test('the id reads back, as a number and through the generated uint64 accessor, for every size of id', async () => {
  const flatbuffers = await import('flatbuffers');
  const { Request } = await import('../../schemas/generated/tessera_generated');
  for (const id of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32, 2 ** 32 + 5, 2 ** 52 + 3, Number.MAX_SAFE_INTEGER]) {
    const frame = encodeRequest(id, [{ op: 'get', ns: 'n', key: 'k' }]);
    const decoded = decodeRequest(frame);
    assert.ok(decoded.ok, `id ${id}`);
    assert.equal(decoded.id, id);
    assert.equal(Request.getRootAsRequest(new flatbuffers.ByteBuffer(frame)).id(), BigInt(id), `id ${id}`);
  }
});
