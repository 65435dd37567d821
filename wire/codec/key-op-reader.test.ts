// The key-op reader (key-op-reader.ts) against the general decoder: whatever it accepts, the
// general path accepts too and reads the same id and ops; what our own client sends of key ops, it
// accepts; what it must not take (other op kinds, shared tables, unused fields), it leaves.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';
import { decodeRequest } from './decode-request';
import { encodeRequest, encodeRequestGeneric } from './encode-request';
import { KeyOpReader } from './key-op-reader';
import { mutateFrame } from './mutate.fixture';
import { randomOp } from './ops.fixture';
import type { WireOp } from './wire-types';

const keyOpKinds = new Set(['get', 'head', 'put', 'delete', 'touch']);

/** An op without its undefined fields (the reader keeps `tags: undefined`, the decoder omits it), keys and values copied. */
function normal(op: WireOp): Record<string, unknown> {
  const entries = Object.entries(op).filter(([, value]) => value !== undefined);
  return Object.fromEntries(entries.map(([name, value]) => [name, value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value]));
}

function readBoth(reader: KeyOpReader, frame: Uint8Array): { accepted: boolean; decoded: ReturnType<typeof decodeRequest> } {
  const accepted = reader.read(frame);
  const decoded = decodeRequest(frame);
  if (accepted) {
    assert.ok(decoded.ok, 'what the reader takes, the general decoder takes');
    assert.equal(reader.id, decoded.id);
    assert.equal(reader.count, decoded.ops.length);
    assert.equal(reader.ops.length, reader.count);
    assert.deepEqual(reader.ops.map(normal), decoded.ops.map(normal));
  }
  return { accepted, decoded };
}

function randomRequest(random: SeededRandom, keyOpsOnly: boolean): WireOp[] {
  const ops: WireOp[] = [];
  const count = random.next() < 0.5 ? 1 : 1 + random.below(12);
  while (ops.length < count) {
    const op = randomOp(random);
    if (!keyOpsOnly || keyOpKinds.has(op.op)) ops.push(op);
  }
  return ops;
}

test('the frames our encoder writes: key-op requests are read as the decoder reads them, others left', () => {
  const seed = testSeed();
  console.log(`seed ${seed} (TESSERA_SEED=${seed} repeats it)`);
  const random = new SeededRandom(seed);
  const reader = new KeyOpReader();
  let accepted = 0;
  for (let trial = 0; trial < 2_000; trial++) {
    const keyOpsOnly = random.next() < 0.7;
    const ops = randomRequest(random, keyOpsOnly);
    const id = random.pick([0, 1, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, random.below(2 ** 31)]);
    const frame = random.next() < 0.5 ? encodeRequest(id, ops) : encodeRequestGeneric(id, ops);
    const result = readBoth(reader, frame);
    assert.ok(result.decoded.ok, `trial ${trial}: a valid frame`);
    const allKeyOps = ops.every((op) => keyOpKinds.has(op.op));
    assert.equal(result.accepted, allKeyOps, `trial ${trial}: taken exactly when every op is a key op`);
    if (result.accepted) accepted++;
  }
  assert.ok(accepted > 1_000, `most trials were key-op requests (${accepted})`);
});

test('damaged frames: nothing is taken that the decoder refuses or reads differently', () => {
  const seed = testSeed();
  console.log(`seed ${seed} (TESSERA_SEED=${seed} repeats it)`);
  const random = new SeededRandom(seed);
  const reader = new KeyOpReader();
  let taken = 0;
  let refusedByBoth = 0;
  for (let trial = 0; trial < 20_000; trial++) {
    const frame = mutateFrame(random, encodeRequest(random.below(2 ** 31), randomRequest(random, true)));
    const result = readBoth(reader, frame);
    if (result.accepted) taken++;
    else if (!result.decoded.ok) refusedByBoth++;
  }
  // Both kinds of outcome occur, so the comparison above ran on each.
  assert.ok(taken > 100 && refusedByBoth > 100, `taken ${taken}, refused ${refusedByBoth}`);
});

test('a frame of a million ops or of shared op tables is left to the general path', () => {
  const reader = new KeyOpReader();
  const get: WireOp = { op: 'get', ns: 'content', key: 'k' };
  // Over opsPerRequestMax: the decoder answers TooManyOps.
  const many = encodeRequestGeneric(1, Array.from({ length: 1_025 }, () => get));
  assert.equal(reader.read(many), false);
  assert.equal(decodeRequest(many).ok, false);
  // Two elements of the ops vector pointing at one table: legal FlatBuffers, not taken here.
  const two = encodeRequestGeneric(2, [get, get]).slice();
  const view = new DataView(two.buffer);
  const root = view.getUint32(0, true);
  const requestVtable = root - view.getInt32(root, true);
  const opsField = root + view.getUint16(requestVtable + 6, true);
  const vector = opsField + view.getUint32(opsField, true);
  const first = vector + 4 + view.getUint32(vector + 4, true);
  view.setUint32(vector + 8, first - (vector + 8), true);
  assert.equal(reader.read(two), false);
  const decoded = decodeRequest(two);
  assert.ok(decoded.ok && decoded.ops.length === 2);
});
