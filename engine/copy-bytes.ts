// Copies bytes between arrays without creating a subarray view per call for short runs: a
// subarray is an allocation, and keys are usually a few dozen bytes. Past copyLoopBytesMax the
// native set() wins despite the view (measured in copy-bytes.bench.ts).

export const copyLoopBytesMax = 64;

export function copyBytes(source: Uint8Array, sourceStart: number, target: Uint8Array, targetStart: number, length: number): void {
  if (length <= copyLoopBytesMax) {
    for (let i = 0; i < length; i++) target[targetStart + i] = source[sourceStart + i]!;
  } else {
    target.set(source.subarray(sourceStart, sourceStart + length), targetStart);
  }
}
