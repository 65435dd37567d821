// The protocol floor's records (protocol-floor-server.ts): one slot per harness key (`key:` and a
// decimal index, as perf/keys.ts names them) in SharedArrayBuffers, so that every I/O thread of
// the floor reads and writes the same records, as Tessera's I/O threads would read its shared
// tables. A slot is guarded by a spin lock word: a benchmark instrument, not a table design.

export interface FloorStoreBuffers {
  /** Per slot: lock, generation, value length, last modified (seconds). */
  words: SharedArrayBuffer;
  values: SharedArrayBuffer;
  valueBytesMax: number;
}

const wordsPerSlot = 4;
const lockWord = 0;
const generationWord = 1;
const lengthWord = 2;
const modifiedWord = 3;
const keyPrefix = 'key:';

export function createFloorStoreBuffers(slots: number, valueBytesMax: number): FloorStoreBuffers {
  return {
    words: new SharedArrayBuffer(slots * wordsPerSlot * Int32Array.BYTES_PER_ELEMENT),
    values: new SharedArrayBuffer(slots * valueBytesMax),
    valueBytesMax,
  };
}

export interface FloorRead {
  generation: number;
  lastModifiedMs: number;
  value: Uint8Array;
}

export type FloorPut = { status: 'ok'; generation: number; created: boolean; lastModifiedMs: number } | { status: 'mismatch' | 'missing' | 'tooLarge' };

export class FloorStore {
  readonly #words: Int32Array;
  readonly #values: Uint8Array;
  readonly #valueBytesMax: number;
  readonly #slots: number;

  constructor(buffers: FloorStoreBuffers) {
    this.#words = new Int32Array(buffers.words);
    this.#values = new Uint8Array(buffers.values);
    this.#valueBytesMax = buffers.valueBytesMax;
    this.#slots = this.#words.length / wordsPerSlot;
  }

  /** The slot of a harness key name, or -1 for any other name. */
  slotOf(key: string): number {
    if (!key.startsWith(keyPrefix) || key.length === keyPrefix.length) return -1;
    let index = 0;
    for (let at = keyPrefix.length; at < key.length; at++) {
      const digit = key.charCodeAt(at) - 48;
      if (digit < 0 || digit > 9) return -1;
      index = index * 10 + digit;
      if (index >= this.#slots) return -1;
    }
    return index;
  }

  /** A copy of the slot's record, or null when it was never written. */
  read(slot: number, into: FloorRead): FloorRead | null {
    const words = this.#words;
    const base = slot * wordsPerSlot;
    this.#lock(base);
    try {
      const generation = words[base + generationWord]!;
      if (generation === 0) return null;
      const length = words[base + lengthWord]!;
      const start = slot * this.#valueBytesMax;
      into.generation = generation;
      into.lastModifiedMs = words[base + modifiedWord]! * 1000;
      into.value = this.#values.slice(start, start + length);
      return into;
    } finally {
      Atomics.store(words, base + lockWord, 0);
    }
  }

  put(slot: number, value: Uint8Array, ifGeneration: number): FloorPut {
    if (value.byteLength > this.#valueBytesMax) return { status: 'tooLarge' };
    const words = this.#words;
    const base = slot * wordsPerSlot;
    this.#lock(base);
    try {
      const current = words[base + generationWord]!;
      if (ifGeneration !== 0 && current !== ifGeneration) return { status: current === 0 ? 'missing' : 'mismatch' };
      this.#values.set(value, slot * this.#valueBytesMax);
      const seconds = Math.floor(Date.now() / 1000);
      words[base + lengthWord] = value.byteLength;
      words[base + modifiedWord] = seconds;
      words[base + generationWord] = current + 1;
      return { status: 'ok', generation: current + 1, created: current === 0, lastModifiedMs: seconds * 1000 };
    } finally {
      Atomics.store(words, base + lockWord, 0);
    }
  }

  #lock(base: number): void {
    while (Atomics.compareExchange(this.#words, base + lockWord, 0, 1) !== 0) {
      // Another I/O thread holds the slot for a copy of at most valueBytesMax: spin.
    }
  }
}
