// Test-only helpers shared by the engine's tests (a fixture, not a test: the runner skips it).

import { SeededRandom } from '../layout/seeded-random';

export { testSeed } from '../layout/seeded-random';

/** The one seeded generator (layout/seeded-random.ts) as a function of no arguments. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

export const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString());
