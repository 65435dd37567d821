// Slab size classes (memcached's allocator is the model): a record is stored in the smallest
// class that holds it. Steps of 8 bytes up to 512 and 16 up to 1024 keep the waste for small
// records (the common content-metadata case) to a few bytes: a 16-byte key + 100-byte value
// record is 148 bytes and lands in the 152 class. Above 1 KiB classes grow by 1/8 (≤ 12.5 % waste).

import { fail } from './assert';

export const slotAlignBytes = 8;
export const slotBytesMin = 48;
/** Pages of small classes are this long; a class larger than a page gets one slot per page. */
export const pageBytes = 1024 * 1024;
/** Large enough for a 64 MiB value with a 16 KiB key, content type and header. */
export const slotBytesMax = 64 * 1024 * 1024 + 32 * 1024;

function buildClasses(): Uint32Array {
  const sizes: number[] = [];
  for (let size = slotBytesMin; size <= 512; size += 8) sizes.push(size);
  for (let size = 528; size <= 1024; size += 16) sizes.push(size);
  let size = 1024;
  while (size < slotBytesMax) {
    size = Math.min(slotBytesMax, Math.ceil((size * 9) / 8 / slotAlignBytes) * slotAlignBytes);
    sizes.push(size);
  }
  return Uint32Array.from(sizes);
}

export const classSizes = buildClasses();
export const classCount = classSizes.length;

/** Smallest class index whose slots hold `bytes`, or -1 when larger than any class. */
export function classOf(bytes: number): number {
  if (bytes <= 512) return bytes <= slotBytesMin ? 0 : (((bytes + 7) >>> 3) - (slotBytesMin >>> 3));
  let low = 0;
  let high = classCount - 1;
  if (bytes > classSizes[high]!) return -1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (classSizes[middle]! >= bytes) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Bytes of one page for a class: a whole number of slots, at least pageBytes when slots are small. */
export function pageBytesOf(classIndex: number): number {
  const size = classSizes[classIndex]!;
  return size >= pageBytes ? size : Math.floor(pageBytes / size) * size;
}

function assertClasses(): void {
  for (let i = 0; i < classCount; i++) {
    const size = classSizes[i]!;
    if (size % slotAlignBytes !== 0) fail(`size class ${i} (${size}) not 8-aligned`);
    if (i > 0 && size <= classSizes[i - 1]!) fail(`size classes not increasing at ${i}`);
  }
  if (classSizes[classOf(148)] !== 152) fail('size class for 148 bytes must be 152');
}
assertClasses();
