// The one seeded pseudo-random generator of the project (mulberry32), for randomized tests and for
// benchmarks: both need repeatable sequences (a failing seed is printed and can be replayed; load
// generators draw the same keys run after run), which Math.random offers neither. 32 bits of state
// is enough: a run draws far fewer than 2^32 numbers, and the numbers pick keys, not secrets.

export class SeededRandom {
  readonly seed: number;
  #state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.seed = seed >>> 0;
    this.#state = seed >>> 0;
  }

  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** Allocates: `length` random bytes. */
  bytes(length: number): Uint8Array {
    const bytes = new Uint8Array(length);
    for (let index = 0; index < length; index++) bytes[index] = this.below(256);
    return bytes;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.below(items.length)]!;
  }
}

/** A test's seed: TESSERA_SEED (or the older TESSERA_TEST_SEED) when set, else a fresh one. Print it. */
export function testSeed(): number {
  const fromEnvironment = process.env['TESSERA_SEED'] ?? process.env['TESSERA_TEST_SEED'];
  if (fromEnvironment !== undefined && fromEnvironment !== '') return Number(fromEnvironment) >>> 0;
  return (Date.now() ^ (Math.random() * 0x100000000)) >>> 0;
}
