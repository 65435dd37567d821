// The one function that maps a key to its partition (DESIGN invariant 1), decided once because the
// WAL, snapshots, replication and a later cluster map are all keyed by it:
//
//   slot      = CRC16-XMODEM(hashed part of key) mod 16384   (Redis Cluster's key slot)
//   partition = slot >> 2                                    (16384 slots = 4 x 4096 partitions)
//
// The hashed part follows Redis's `{hash tag}` rule: if the key holds a `{` and a later `}` with at
// least one byte between them, only the bytes between the first `{` and the first `}` after it are
// hashed; otherwise the whole key. So Redis Cluster clients and a later RESP front route by the same
// map, and keys that share a tag (`{site:x}/home`, `{site:x}/sitemap`) share a partition.
// The namespace is not part of it: as in Redis, the slot is a function of the key alone.
// (The table index hashes with its own 32-bit MurmurHash3, layout/hash.ts, seeded by namespace.)

import { fail } from './assert';
import { partitionCount } from './limits';

export const keySlotCount = 16384;
export const slotsPerPartition = keySlotCount / partitionCount;

const braceOpen = 0x7b;
const braceClose = 0x7d;

/** CRC16-XMODEM (polynomial 0x1021, initial 0, no reflection): Redis's crc16.c, table-driven. */
const crc16Table = ((): Uint16Array => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = (crc & 0x8000) !== 0 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/**
 * The CRC of a byte followed by one zero byte, for two bytes per step (slicing-by-2): 15 ns for a
 * 16-byte key against 35-45 ns byte by byte (measured here, Node 20), and the partition is computed
 * on the main thread for every op.
 */
const crc16TableShifted = ((): Uint16Array => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) table[byte] = ((crc16Table[byte]! << 8) ^ crc16Table[crc16Table[byte]! >>> 8]!) & 0xffff;
  return table;
})();

/** CRC16-XMODEM of bytes[start, end), byte by byte. Allocates nothing. */
export function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) ^ crc16Table[((crc >>> 8) ^ bytes[i]!) & 0xff]!) & 0xffff;
  return crc;
}

/**
 * CRC16 of a key with no `{`, two bytes per step; -1 as soon as a `{` shows (the caller then
 * applies the hash-tag rule). The common key has no brace, so it is read once.
 */
function crc16WithoutBrace(bytes: Uint8Array, start: number, length: number): number {
  const pairsEnd = start + (length & ~1);
  let crc = 0;
  let i = start;
  for (; i < pairsEnd; i += 2) {
    const first = bytes[i]!;
    const second = bytes[i + 1]!;
    if (first === braceOpen || second === braceOpen) return -1;
    const both = crc ^ ((first << 8) | second);
    crc = crc16TableShifted[both >>> 8]! ^ crc16Table[both & 0xff]!;
  }
  if (i < start + length) {
    const last = bytes[i]!;
    if (last === braceOpen) return -1;
    crc = ((crc << 8) ^ crc16Table[(crc >>> 8) ^ last]!) & 0xffff;
  }
  return crc;
}

/** Redis Cluster's key slot (CLUSTER KEYSLOT) of bytes[start, start + length), 0..16383. */
export function keySlot(bytes: Uint8Array, start: number, length: number): number {
  const plain = crc16WithoutBrace(bytes, start, length);
  if (plain >= 0) return plain & (keySlotCount - 1);
  const end = start + length;
  let open = start;
  while (open < end && bytes[open] !== braceOpen) open++;
  let close = open + 1;
  while (close < end && bytes[close] !== braceClose) close++;
  // `{}` (nothing between) or no closing brace: the whole key is hashed, as in Redis.
  if (close < end && close > open + 1) return crc16(bytes, open + 1, close) & (keySlotCount - 1);
  return crc16(bytes, start, end) & (keySlotCount - 1);
}

/** The partition (0..4095) that owns the key bytes[start, start + length). */
export function partitionOfKey(bytes: Uint8Array, start: number, length: number): number {
  return keySlot(bytes, start, length) >>> 2;
}

function assertLayout(): void {
  if (slotsPerPartition !== 4 || partitionCount * slotsPerPartition !== keySlotCount) fail('4 key slots per partition');
  // Redis's published vector: CLUSTER KEYSLOT foo is 12182.
  if (keySlot(new Uint8Array([0x66, 0x6f, 0x6f]), 0, 3) !== 12182) fail('crc16 key slot of "foo" must be 12182');
}
assertLayout();
