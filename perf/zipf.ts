// Zipfian key popularity: rank r (0-based) is drawn with probability proportional to 1/(r+1)^s.
//
// Sampling inverts a precomputed cumulative table by binary search. YCSB's closed-form method
// (Gray et al.) is O(1) but only approximates the distribution for the middle ranks; the table is
// exact, costs one float per key (bounded by keysMax) and ~17 comparisons per draw at 100 k keys,
// which is noise next to a network round trip.

import { keysMax } from './bounds';
import type { SeededRandom } from '../engine/layout/seeded-random';

export class ZipfSampler {
  readonly count: number;
  readonly exponent: number;
  /** cumulative[r] = P(rank <= r); the last entry is exactly 1. */
  readonly #cumulative: Float64Array;

  constructor(count: number, exponent: number) {
    if (!Number.isInteger(count) || count < 1 || count > keysMax) throw new RangeError(`zipf count must be 1..${keysMax}, got ${count}`);
    if (!(exponent >= 0 && exponent <= 10)) throw new RangeError(`zipf exponent must be 0..10, got ${exponent}`);
    this.count = count;
    this.exponent = exponent;
    this.#cumulative = new Float64Array(count);
    let total = 0;
    for (let rank = 0; rank < count; rank++) {
      total += 1 / Math.pow(rank + 1, exponent);
      this.#cumulative[rank] = total;
    }
    for (let rank = 0; rank < count; rank++) this.#cumulative[rank] = (this.#cumulative[rank] ?? 0) / total;
    this.#cumulative[count - 1] = 1;
  }

  /** A rank in [0, count): the first rank whose cumulative probability reaches a uniform draw. */
  sample(random: SeededRandom): number {
    const draw = random.next();
    const cumulative = this.#cumulative;
    let low = 0;
    let high = this.count - 1;
    // Halves [low, high] each pass: at most log2(keysMax) + 1 passes.
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((cumulative[middle] ?? 1) < draw) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The theoretical probability of a rank (for tests and reports). */
  probability(rank: number): number {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.count) throw new RangeError(`rank out of range: ${rank}`);
    const below = rank === 0 ? 0 : (this.#cumulative[rank - 1] ?? 0);
    return (this.#cumulative[rank] ?? 0) - below;
  }
}
