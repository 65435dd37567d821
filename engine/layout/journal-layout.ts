// A shard's journal: a single-producer (the shard) single-consumer (the main thread) byte ring in a
// SharedArrayBuffer. Appending an entry is a write's commit point (invariant 3).
//
//   control (128 bytes)                          data (capacity bytes, power of two)
//   +--------+-------- ... --------+--------+    +---------------------------------------------+
//   | head   |  pad to 64 bytes    | tail   |    | ...consumed... | entries (tail..head) | free |
//   +--------+-------- ... --------+--------+    +---------------------------------------------+
//   head: bytes ever written (u32, wraps); tail: bytes ever consumed (u32, wraps).
//   An entry never straddles the end: a pad entry fills the rest and the next starts at 0.
//
// Ordering rule: the producer writes an entry's bytes, then Atomics.store(head); the consumer
// Atomics.load(head), reads the bytes, then Atomics.store(tail). The producer checks free space
// with Atomics.load(tail), so it never overwrites bytes the consumer has not read.
//
// Entry (8-aligned):
//   0 u32 entryBytes   4 u8 kind   5 u8 namespaceId   6 u16 keyLength
//   8 u32 generation   12 u32 expiry   16 f64 lastModified   24 u32 valueLength
//   28 u8 contentTypeLength   29 u8 flags (entryFlag*)   30 u16 tagsLength   32 key, content type, value, tags
// (tags: a put's joined surrogate keys, layout/surrogate-keys.ts)
//
// Flag `replayed`: the change was made elsewhere (the WAL at recovery, later a primary) and applied
// here by an apply op; it already has its LSN, so the drain consumes it without logging it again.

import { fail } from './assert';

export const journalWordHead = 0;
export const journalWordTail = 16;
export const journalControlBytes = 128;

export const entryBytesByte = 0;
export const entryKindByte = 4;
export const entryNamespaceIdByte = 5;
export const entryKeyLengthByte = 6;
export const entryGenerationByte = 8;
export const entryExpiryByte = 12;
export const entryLastModifiedByte = 16;
export const entryValueLengthByte = 24;
export const entryContentTypeLengthByte = 28;
export const entryFlagsByte = 29;
export const entryTagsLengthByte = 30;
export const entryFlagReplayed = 1;
export const entryHeaderBytes = 32;

export const enum EntryKind {
  Put = 1,
  Delete = 2,
  Touch = 3,
  Expired = 4,
  Evicted = 5,
  Pad = 255,
}

export function entryBytesFor(keyLength: number, contentTypeLength: number, valueLength: number, tagsLength = 0): number {
  return (entryHeaderBytes + keyLength + contentTypeLength + valueLength + tagsLength + 7) & ~7;
}

export function allocateJournal(capacityBytes: number): SharedArrayBuffer {
  if ((capacityBytes & (capacityBytes - 1)) !== 0 || capacityBytes < 4096 || capacityBytes > 2 ** 30) {
    throw new RangeError(`journal capacity must be a power of two in 4 KiB..1 GiB, got ${capacityBytes}`);
  }
  return new SharedArrayBuffer(journalControlBytes + capacityBytes);
}

function assertLayout(): void {
  if (journalWordTail * 4 < 64) fail('journal head and tail must sit on different cache lines');
  if (journalControlBytes % 8 !== 0 || entryLastModifiedByte % 8 !== 0) fail('journal alignment');
}
assertLayout();
