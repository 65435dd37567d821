// The cms workload's memory of each key's generation, shared by every generator thread and kept
// across rounds: the preload fills it (Tessera returns each put's generation; Redis starts every
// hash at 1), gets and puts refresh it. A put sends the generation stored here as ifGeneration,
// so puts are conditional from the first op, and the get/put mix stays at the planned 50/50
// instead of leaning to gets while the memory is cold.
//
// One Int32 per key (0 = unknown) in a SharedArrayBuffer; Atomics make each load and store whole.
// Threads may race on a hot key: that race is exactly what GenerationMismatch counts.

import { keysMax } from './bounds';

export type GenerationMemory = Int32Array;

export function createGenerationMemory(keys: number): GenerationMemory {
  if (!Number.isInteger(keys) || keys < 1 || keys > keysMax) throw new RangeError(`keys must be 1..${keysMax}, got ${keys}`);
  return new Int32Array(new SharedArrayBuffer(keys * Int32Array.BYTES_PER_ELEMENT));
}

export function rememberGeneration(memory: GenerationMemory, keyIndex: number, generation: number): void {
  Atomics.store(memory, keyIndex, generation);
}

export function recallGeneration(memory: GenerationMemory, keyIndex: number): number {
  return Atomics.load(memory, keyIndex);
}

/** After a mismatch: forget `stale`, unless another thread has already stored something newer. */
export function forgetGeneration(memory: GenerationMemory, keyIndex: number, stale: number): void {
  Atomics.compareExchange(memory, keyIndex, stale, 0);
}
