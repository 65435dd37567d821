// The request mix of each workload, as a driver that starts one op on a connection. Drivers are
// per worker thread: the cms driver's generation memory is shared by that worker's connections.
//
//   cdn: 95 % get, 5 % unconditional put, Zipfian keys, 1 KiB values by default.
//   cms: 50 % get, 50 % put with ifGeneration = the generation last seen for the key (the
//        preload's, or a later get's or put's: generation-memory.ts). A put is only sent when a
//        generation is known; when none is (the last put lost a race), the op becomes a get, as an
//        editor re-reads before saving. The report counts gets and puts as sent.

import { forgetGeneration, recallGeneration, rememberGeneration, type GenerationMemory } from './generation-memory';
import { outcomeMismatch } from './outcome';
import type { SeededRandom } from '../engine/layout/seeded-random';
import type { TargetConnection } from './target-connection';
import type { ZipfSampler } from './zipf';

export type OpWorkloadName = 'cdn' | 'cms';

export interface WorkloadDriver {
  /**
   * Starts one op; resolves with its outcome (never rejects). intendedUs is when the lane meant to
   * send it (lane clock: performance.now() in µs); only the fanout writer uses it.
   */
  issue(connection: TargetConnection, intendedUs: number): Promise<number>;
  readonly opsGet: number;
  readonly opsPut: number;
}

export const cdnPutFraction = 0.05;
export const cmsPutFraction = 0.5;

class CdnDriver implements WorkloadDriver {
  opsGet = 0;
  opsPut = 0;
  readonly #zipf: ZipfSampler;
  readonly #random: SeededRandom;

  constructor(zipf: ZipfSampler, random: SeededRandom) {
    this.#zipf = zipf;
    this.#random = random;
  }

  issue(connection: TargetConnection): Promise<number> {
    const keyIndex = this.#zipf.sample(this.#random);
    if (this.#random.next() < cdnPutFraction) {
      this.opsPut++;
      return connection.put(keyIndex, 0);
    }
    this.opsGet++;
    return connection.get(keyIndex);
  }
}

class CmsDriver implements WorkloadDriver {
  opsGet = 0;
  opsPut = 0;
  readonly #zipf: ZipfSampler;
  readonly #random: SeededRandom;
  readonly #generations: GenerationMemory;

  constructor(zipf: ZipfSampler, random: SeededRandom, generations: GenerationMemory) {
    if (generations.length !== zipf.count) throw new RangeError(`generation memory holds ${generations.length} keys, the keyspace ${zipf.count}`);
    this.#zipf = zipf;
    this.#random = random;
    this.#generations = generations;
  }

  async issue(connection: TargetConnection): Promise<number> {
    const keyIndex = this.#zipf.sample(this.#random);
    const known = recallGeneration(this.#generations, keyIndex);
    const wantsPut = this.#random.next() < cmsPutFraction;
    // An async step per op allocates a promise; the generator's CPU per op is reported beside the
    // server's, so that cost is visible rather than assumed away.
    if (wantsPut && known > 0) {
      this.opsPut++;
      const outcome = await connection.put(keyIndex, known);
      if (outcome > 0) rememberGeneration(this.#generations, keyIndex, outcome);
      else if (outcome === outcomeMismatch) forgetGeneration(this.#generations, keyIndex, known);
      return outcome;
    }
    this.opsGet++;
    const outcome = await connection.get(keyIndex);
    if (outcome > 0) rememberGeneration(this.#generations, keyIndex, outcome);
    return outcome;
  }
}

/** cms needs the shared generation memory; without one it starts from an empty private one. */
export function createWorkloadDriver(name: OpWorkloadName, zipf: ZipfSampler, random: SeededRandom, generations: GenerationMemory | null): WorkloadDriver {
  switch (name) {
    case 'cdn':
      return new CdnDriver(zipf, random);
    case 'cms':
      return new CmsDriver(zipf, random, generations ?? new Int32Array(zipf.count));
  }
}
