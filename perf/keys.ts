// Key names of the preloaded keyspace. The format is redis-benchmark's `key:__rand_int__` with
// `-r`, a 12-digit zero-padded index, so redis-benchmark, wrk and our generator all hit the very
// same records.

import { keysMax } from './bounds';

const indexDigits = 12;

export function keyName(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= keysMax) throw new RangeError(`key index out of range: ${index}`);
  return `key:${String(index).padStart(indexDigits, '0')}`;
}

/** Every key name, built once per worker so the hot loop formats no strings. */
export function keyNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > keysMax) throw new RangeError(`key count must be 1..${keysMax}, got ${count}`);
  const names = new Array<string>(count);
  for (let index = 0; index < count; index++) names[index] = keyName(index);
  return names;
}

/** A value of the given size with seeded content (not all zeros, so no layer can special-case it). */
export function valueBytes(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = (seed >>> 0) || 1;
  for (let index = 0; index < size; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = 0x61 + ((state >>> 0) % 26);
  }
  return bytes;
}
