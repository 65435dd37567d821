// Test helpers for the durability tests (not a test file itself): a seeded generator and random
// Changes at chosen sizes.

import type { Change, ChangeKind } from './types';

/** mulberry32: small, fast, good enough for test inputs; the seed is printed by each test. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function testSeed(): number {
  const fromEnv = Number(process.env.TESSERA_TEST_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : (Date.now() % 1_000_000_007) >>> 0;
}

const kinds: ChangeKind[] = ['put', 'delete', 'touch', 'expired', 'evicted'];

export function randomBytes(random: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (random() * 256) | 0;
  return bytes;
}

export interface ChangeSizes {
  keyBytesMax: number;
  valueBytesMax: number;
}

export function randomChange(random: () => number, lsn: number, sizes: ChangeSizes = { keyBytesMax: 64, valueBytesMax: 2048 }): Change {
  const kind = kinds[(random() * kinds.length) | 0]!;
  const key = randomBytes(random, 1 + ((random() * sizes.keyBytesMax) | 0));
  return {
    lsn,
    kind,
    ns: `ns-${(random() * 1000) | 0}`,
    key,
    generation: (random() * 2 ** 32) >>> 0,
    expiry: (random() * 2 ** 32) >>> 0,
    lastModified: Math.floor(random() * 2 ** 50),
    contentType: kind === 'put' ? 'application/octet-stream' : '',
    value: kind === 'put' ? randomBytes(random, (random() * (sizes.valueBytesMax + 1)) | 0) : null,
  };
}

export function sameChange(left: Change, right: Change): boolean {
  return (
    left.lsn === right.lsn &&
    left.kind === right.kind &&
    left.ns === right.ns &&
    Buffer.from(left.key).equals(Buffer.from(right.key)) &&
    left.generation === right.generation &&
    left.expiry === right.expiry &&
    left.lastModified === right.lastModified &&
    left.contentType === right.contentType &&
    (left.value === null ? right.value === null : right.value !== null && Buffer.from(left.value).equals(Buffer.from(right.value)))
  );
}
