// The table index's own 32-bit key hash (the partition is chosen by layout/partition.ts, Redis's
// CRC16 key slot, not by this).
//
// MurmurHash3 x86_32 over the key bytes, seeded with the namespace id, so equal keys of two
// namespaces sit apart in an index. The index uses the high bits for a slot's home position
// (layout/table-reader.ts) and orders scans by the whole hash (front/scan-cursor.ts).

const c1 = 0xcc9e2d51;
const c2 = 0x1b873593;

/** Hash of bytes[start, start + length). Allocates nothing. */
export function keyHash(namespaceId: number, bytes: Uint8Array, start: number, length: number): number {
  let h = namespaceId >>> 0;
  const end = start + length;
  const blocksEnd = start + (length & ~3);
  let i = start;
  for (; i < blocksEnd; i += 4) {
    let k = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tailBytes = end - i;
  if (tailBytes > 0) {
    let tail = bytes[i]!;
    if (tailBytes > 1) tail ^= bytes[i + 1]! << 8;
    if (tailBytes > 2) tail ^= bytes[i + 2]! << 16;
    tail = Math.imul(tail, c1);
    tail = (tail << 15) | (tail >>> 17);
    tail = Math.imul(tail, c2);
    h ^= tail;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
