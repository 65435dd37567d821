// decodeRequest must never throw: random bytes and damaged valid frames either decode to ops that
// survive a second encode/decode unchanged, or are refused with a request-level status.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Status } from '../../engine/layout/status';
import { decodeRequest } from './decode-request';
import { encodeRequest } from './encode-request';
import { frameIdentifier } from './schema-layout';
import { mutateFrame } from './mutate.fixture';
import { randomOp } from './ops.fixture';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';
import { validateOpArguments } from '../../engine/layout/validate-op';
import type { WireOp } from './wire-types';

const refusalStatuses = new Set([Status.MalformedRequest, Status.TooManyOps, Status.InvalidArgument, Status.FrameTooLarge]);

function checkDecode(bytes: Uint8Array, context: string): boolean {
  let result: ReturnType<typeof decodeRequest>;
  try {
    result = decodeRequest(bytes);
  } catch (error) {
    assert.fail(`${context}: decodeRequest threw ${String(error)} on ${Buffer.from(bytes).toString('hex')}`);
  }
  if (!result.ok) {
    assert.ok(refusalStatuses.has(result.status), `${context}: status ${result.status}`);
    assert.ok(result.id === null || Number.isSafeInteger(result.id), `${context}: id ${String(result.id)}`);
    assert.ok(result.message.length > 0);
    return false;
  }
  for (const op of result.ops) {
    // The decoded op is a well-formed op: the shared check runs on it without throwing.
    validateOpArguments(op);
  }
  // Whatever decoded must encode again, to the same ops.
  assert.deepEqual(decodeRequest(encodeRequest(result.id, result.ops)), result, `${context}: re-encode`);
  return true;
}

function randomBatch(random: SeededRandom): WireOp[] {
  const ops: WireOp[] = [];
  const count = random.below(6);
  for (let index = 0; index < count; index++) ops.push(randomOp(random));
  return ops;
}

test('decodeRequest on random bytes and damaged frames never throws', () => {
  const seed = testSeed();
  console.log(`decodeRequest fuzz seed=${seed} (TESSERA_SEED=${seed} to replay)`);
  const random = new SeededRandom(seed);
  let decoded = 0;
  let refused = 0;
  const count = (accepted: boolean): void => {
    if (accepted) decoded += 1;
    else refused += 1;
  };
  for (let round = 0; round < 2_000; round++) {
    count(checkDecode(random.bytes(random.below(200)), `random bytes round ${round}`));
  }
  // Random bytes behind a valid header reach the table walk instead of stopping at the identifier.
  for (let round = 0; round < 2_000; round++) {
    const bytes = random.bytes(8 + random.below(200));
    new DataView(bytes.buffer).setUint32(0, random.below(64), true);
    for (let index = 0; index < 4; index++) bytes[4 + index] = frameIdentifier.charCodeAt(index);
    count(checkDecode(bytes, `random body round ${round}`));
  }
  for (let round = 0; round < 6_000; round++) {
    const frame = encodeRequest(random.below(1000), randomBatch(random));
    count(checkDecode(mutateFrame(random, frame), `mutation round ${round}`));
  }
  console.log(`decodeRequest fuzz: ${decoded} decoded, ${refused} refused`);
  assert.ok(refused > 0 && decoded > 0, 'the fuzzer reaches both outcomes');
});
