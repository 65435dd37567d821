// Test-only helpers shared by the engine's tests: a seeded random source and byte helpers.

/** mulberry32: small, fast, seeded; the tests print the seed so a failure can be replayed. */
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
  const fromEnvironment = process.env.TESSERA_TEST_SEED;
  return fromEnvironment === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(fromEnvironment);
}

export const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString());
