// Test support: a seeded generator for randomized tests, so a failure can be replayed. The seed
// comes from TESSERA_SEED when set, else from the clock, and is printed by the caller.

export interface TestRandom {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, bound). */
  below(bound: number): number;
  bytes(length: number): Uint8Array;
  pick<T>(items: readonly T[]): T;
}

export function testSeed(): number {
  const fromEnvironment = process.env['TESSERA_SEED'];
  if (fromEnvironment !== undefined && fromEnvironment !== '') return Number(fromEnvironment) >>> 0;
  return (Date.now() ^ (Math.random() * 0x100000000)) >>> 0;
}

/** mulberry32: tiny, fast, and good enough to drive a fuzz test. */
export function testRandom(seed: number): TestRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 0x100000000;
  };
  const below = (bound: number): number => Math.floor(next() * bound);
  return {
    seed,
    next,
    below,
    bytes(length: number): Uint8Array {
      const bytes = new Uint8Array(length);
      for (let index = 0; index < length; index++) bytes[index] = below(256);
      return bytes;
    },
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[below(items.length)]!;
    },
  };
}
