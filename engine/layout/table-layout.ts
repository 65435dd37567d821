// The layout of a shard's table in its SharedArrayBuffer. Everything is named here; the table
// code never uses a bare offset.
//
//   0            headerBytes                                                   byteLength ... max
//   +------------+----------------------------------------------------------+---------------+
//   | header     | pages and index regions, carved in order by a bump top    | not yet grown |
//   +------------+----------------------------------------------------------+---------------+
//
// Header: u32 words (headerWord*): line 0 what other threads read, line 1 the shard's per-op
// counters, then the retired-region list and per-class allocator words, then per-namespace stats (f64).
// Offsets in the index and the free lists are byte offsets / 8 (records are 8-aligned), so 0 and 1
// can mean "empty" and "deleted": no record lives inside the header.
//
// Record (8-aligned, in a slot of its size class):
//   0  u32 version        seqlock: even = stable, odd = being written; +2 when the slot is freed
//   4  u32 valueLength
//   8  u16 keyLength      10 u8 contentTypeLength   11 u8 namespaceId
//   12 u32 generation     16 u32 expiry (epoch s)   20 u32 lruStamp (shard access clock)
//   24 f64 lastModified (epoch ms)
//   32 key bytes, content-type bytes, value bytes
// A free slot keeps its version and stores the next free slot (offset / 8) in word 2 (byte 8).

import { assert } from './assert';
import { namespacesMax } from './limits';
import { classCount } from './size-classes';
import { doubleAt } from './words';

export const tableMagic = 0x54534852; // "TSHR"
/** 2: main-thread-read words moved to their own cache line, apart from the shard's per-op counters. */
export const tableLayoutVersion = 2;

export const cacheLineBytes = 64;
export const wordBytes = 4;

// ---- cache line 0 (words 0..15): what other threads read; the shard writes these rarely ----
export const headerWordMagic = 0;
export const headerWordLayoutVersion = 1;
/** Index region location (byte offset / 8) and log2 of its slot count: rewritten on rehash. */
export const headerWordIndexOffset8 = 2;
export const headerWordIndexLog2Capacity = 3;
/**
 * Index seqlock for readers on other threads: odd while a rehash is publishing a new region,
 * +2 per rehash. A direct reader that sees it odd, or changed across its probe, falls back to the
 * owner (the old region may already be reused for pages).
 */
export const headerWordIndexEpoch = 4;
/**
 * Journal position (bytes written) up to which every entry has been applied to this table. The
 * shard stores it once per write; a direct reader compares it with the journal head. It is the
 * publication word of the write path, so it belongs with what readers load, not with the counters.
 */
export const headerWordJournalApplied = 5;
/** Words of line 0 that a reader on another thread loads on every direct read. */
export const readerWords = [headerWordIndexOffset8, headerWordIndexLog2Capacity, headerWordIndexEpoch, headerWordJournalApplied] as const;

// ---- cache line 1 (words 16..31): counters the shard writes on every op ----
export const headerWordIndexLive = 16;
export const headerWordIndexDeleted = 17;
/** Next unused byte / 8: pages and index regions are carved from here, growing the buffer. */
export const headerWordBumpTop8 = 18;
/** Shard access clock for approximate LRU; incremented per read or write. */
export const headerWordAccessClock = 19;
/** Slots (8 bytes each) of index regions abandoned by rehashing, in total. */
export const headerWordRetiredIndexBytes8 = 20;
/** Next index slot the expiry sweep examines. */
export const headerWordSweepCursor = 21;
/** Counters of line 1 the shard writes per op (never loaded by a direct read except the LRU hint). */
export const counterWords = [headerWordIndexLive, headerWordIndexDeleted, headerWordBumpTop8, headerWordAccessClock, headerWordRetiredIndexBytes8, headerWordSweepCursor] as const;

/**
 * Index regions abandoned by rehashing are handed to the arena as space for pages:
 * [start8, end8) pairs from headerWordRetiredRegions, headerWordRetiredRegionCount of them.
 */
export const headerWordRetiredRegionCount = 31;
export const headerWordRetiredRegions = 32;
export const retiredRegionsMax = 24;

export const headerWordClassFreeHead8 = 128;
export const headerWordClassPageNext8 = headerWordClassFreeHead8 + classCount;
export const headerWordClassPageEnd8 = headerWordClassPageNext8 + classCount;
export const headerWordsEnd = headerWordClassPageEnd8 + classCount;

/** Per namespace: [records, bytes] as f64 at namespaceStatsByteOffset + 16 * namespaceId. */
export const namespaceStatsByteOffset = 4096;
export const namespaceStatsBytesEach = 16;
/**
 * Per namespace: [evictions, expirations] since the table was made, as f64 at
 * namespaceRemovalsByteOffset + 16 * namespaceId. The shard bumps them only when it evicts or
 * expires a record (never per op); /metrics reads them at scrape time.
 */
export const namespaceRemovalsByteOffset = 8192;
export const headerBytes = 12288;

export const indexCapacityLog2Min = 12;
/** At most 2^30 slots: capacities and masks stay int32 shifts (1 << log2), never Math.pow. */
export const indexLog2CapacityMax = 30;
export const indexLoadMax = 0.75;
export const indexSlotEmpty = 0;
export const indexSlotDeleted = 1;

export const recordVersionByte = 0;
export const recordValueLengthByte = 4;
export const recordKeyLengthByte = 8;
export const recordContentTypeLengthByte = 10;
export const recordNamespaceIdByte = 11;
export const recordGenerationByte = 12;
export const recordExpiryByte = 16;
export const recordLruStampByte = 20;
export const recordLastModifiedByte = 24;
export const recordHeaderBytes = 32;
export const recordFreeNextByte = 8;

export const indexSlotWords = 2;
export const offset8Bytes = 8;

// ---- named word and offset conversions (no inline `slot * 2 + 1` or `record >>> 2`) ----

/** u32 word of slot `slot`'s hash in the index region starting at word `base32`. */
export function indexHashWord(base32: number, slot: number): number {
  return base32 + slot * indexSlotWords;
}
/** u32 word of slot `slot`'s record offset / 8 in the index region starting at word `base32`. */
export function indexRecordWord(base32: number, slot: number): number {
  return base32 + slot * indexSlotWords + 1;
}
/** First u32 word of the index region whose location header word holds `offset8`. */
export function indexBase32(offset8: number): number {
  return (offset8 * offset8Bytes) >>> 2;
}
/** Byte offset of a record or region stored as offset / 8 (index entries, free lists, regions). */
export function offsetFrom8(offset8: number): number {
  return offset8 * offset8Bytes;
}
export function offsetTo8(byteOffset: number): number {
  return byteOffset / offset8Bytes;
}
/** An index entry (offset / 8) that names a record: not empty (0) and not a tombstone (1). */
export function isRecordEntry(entry: number): boolean {
  return entry > indexSlotDeleted;
}
/** A record byte offset read from the index (slotRecord): 0 and 8 mean empty and tombstone. */
export function isRecordOffset(offset: number): boolean {
  return offset > indexSlotDeleted * offset8Bytes;
}
/** Byte index of namespace `namespaceId`'s [records, bytes] f64 pair, as f64 indices. */
export function namespaceRecordsDouble(namespaceId: number): number {
  return doubleAt(namespaceStatsByteOffset) + namespaceId * 2;
}
export function namespaceBytesDouble(namespaceId: number): number {
  return doubleAt(namespaceStatsByteOffset) + namespaceId * 2 + 1;
}
export function namespaceEvictionsDouble(namespaceId: number): number {
  return doubleAt(namespaceRemovalsByteOffset) + namespaceId * 2;
}
export function namespaceExpirationsDouble(namespaceId: number): number {
  return doubleAt(namespaceRemovalsByteOffset) + namespaceId * 2 + 1;
}
/** Bytes of a record: header, key, content type, value (its slot is the size class holding this). */
export function recordBytesOf(keyLength: number, contentTypeLength: number, valueLength: number): number {
  return recordHeaderBytes + keyLength + contentTypeLength + valueLength;
}

function cacheLineOf(word: number): number {
  return Math.floor((word * wordBytes) / cacheLineBytes);
}

function assertLayout(): void {
  for (const word of readerWords) assert(cacheLineOf(word) === 0, `reader word ${word} must sit on cache line 0`);
  for (const word of counterWords) assert(cacheLineOf(word) !== 0, `per-op counter word ${word} shares the readers' cache line`);
  assert(cacheLineOf(headerWordMagic) === 0 && cacheLineOf(headerWordLayoutVersion) === 0, 'magic and version open the header');
  assert(headerWordRetiredRegionCount < headerWordRetiredRegions, 'retired region count precedes the list');
  assert(headerWordRetiredRegions + 2 * retiredRegionsMax <= headerWordClassFreeHead8, 'retired region list overlaps the class words');
  assert(headerWordsEnd * wordBytes <= namespaceStatsByteOffset, 'table header words overlap namespace stats');
  assert(namespaceStatsByteOffset + namespaceStatsBytesEach * (namespacesMax + 1) <= namespaceRemovalsByteOffset, 'namespace stats overlap the removal counters');
  assert(namespaceRemovalsByteOffset + namespaceStatsBytesEach * (namespacesMax + 1) <= headerBytes, 'namespace removal counters overflow the table header');
  assert(headerBytes / offset8Bytes > indexSlotDeleted, 'header must cover the reserved offsets 0 and 1');
  assert(recordLastModifiedByte % 8 === 0, 'lastModified must be 8-aligned for Float64Array');
  assert(recordValueLengthByte % 4 === 0 && recordGenerationByte % 4 === 0 && recordExpiryByte % 4 === 0 && recordLruStampByte % 4 === 0, 'u32 record fields 4-aligned');
  assert(recordHeaderBytes % 8 === 0, 'record header keeps the key 8-aligned');
  // probeLoop reads a slot's record word as its hash word + 1.
  assert(indexRecordWord(0, 5) === indexHashWord(0, 5) + 1, 'an index slot is [hash, record]');
}
assertLayout();
