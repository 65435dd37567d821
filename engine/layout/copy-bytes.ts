// Copies bytes between arrays without a subarray view per call: a subarray is an allocation, and
// these copies run several times per write (op -> record, op -> journal, record -> result).
//
// copyBytes: a byte loop up to copyLoopBytesMax, native set() past it (copy-bytes.bench.ts, here:
// 16 bytes 34.8 M/s loop vs 11.1 M/s set; 64 bytes 11.0 vs 10.3; 128 bytes 4.7 vs 9.7).
// copyWords: when source and target sit at the same offset modulo 4 (true for keys and values
// between batch buffers, journal entries and records, whose bases are all 4-aligned), copies u32
// words through the callers' Uint32Array views, with byte loops for the unaligned ends.

export const copyLoopBytesMax = 64;

export function copyBytes(source: Uint8Array, sourceStart: number, target: Uint8Array, targetStart: number, length: number): void {
  if (length <= copyLoopBytesMax) {
    for (let i = 0; i < length; i++) target[targetStart + i] = source[sourceStart + i]!;
  } else {
    target.set(source.subarray(sourceStart, sourceStart + length), targetStart);
  }
}

/** Long runs (past wordCopyBytesMax) still go to native set(), which wins at kilobytes. */
export const wordCopyBytesMax = 512;

/** A byte array with the u32 view of the same buffer from byte 0 (tables, rings, batches, results). */
export interface WordView {
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
}

/** Copies source.u8[sourceStart, +length) to target.u8[targetStart...], by words where alignment allows. */
export function copyWords(source: WordView, sourceStart: number, target: WordView, targetStart: number, length: number): void {
  const from = source.u8;
  const to = target.u8;
  if (length > wordCopyBytesMax || ((sourceStart ^ targetStart) & 3) !== 0) {
    copyBytes(from, sourceStart, to, targetStart, length);
    return;
  }
  let i = 0;
  while (i < length && ((sourceStart + i) & 3) !== 0) {
    to[targetStart + i] = from[sourceStart + i]!;
    i++;
  }
  const wordsEnd = i + ((length - i) & ~3);
  const from32 = source.u32;
  const to32 = target.u32;
  let sourceWord = (sourceStart + i) >>> 2;
  let targetWord = (targetStart + i) >>> 2;
  for (; i < wordsEnd; i += 4) to32[targetWord++] = from32[sourceWord++]!;
  for (; i < length; i++) to[targetStart + i] = from[sourceStart + i]!;
}
