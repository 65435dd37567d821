// The layout of a shard's table in its SharedArrayBuffer. Everything is named here; the table
// code never uses a bare offset.
//
//   0            headerBytes                                                   byteLength ... max
//   +------------+----------------------------------------------------------+---------------+
//   | header     | pages and index regions, carved in order by a bump top    | not yet grown |
//   +------------+----------------------------------------------------------+---------------+
//
// Header: u32 words (headerWord*), then per-class allocator words, then per-namespace stats (f64).
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

import { namespacesMax } from '../limits';
import { classCount } from './size-classes';

export const tableMagic = 0x54534852; // "TSHR"
export const tableLayoutVersion = 1;

export const headerWordMagic = 0;
export const headerWordLayoutVersion = 1;
/** Index region location (byte offset / 8) and log2 of its slot count: rewritten on rehash. */
export const headerWordIndexOffset8 = 2;
export const headerWordIndexLog2Capacity = 3;
export const headerWordIndexLive = 4;
export const headerWordIndexDeleted = 5;
/** Next unused byte / 8: pages and index regions are carved from here, growing the buffer. */
export const headerWordBumpTop8 = 6;
/** Journal position (bytes written) up to which every entry has been applied to this table. */
export const headerWordJournalApplied = 7;
/** Shard access clock for approximate LRU; incremented per read or write. */
export const headerWordAccessClock = 8;
/** Slots (8 bytes each) of index regions abandoned by rehashing, in total. */
export const headerWordRetiredIndexBytes8 = 9;
/** Next index slot the expiry sweep examines. */
export const headerWordSweepCursor = 10;
/**
 * Index regions abandoned by rehashing are handed to the arena as space for pages:
 * [start8, end8) pairs from headerWordRetiredRegions, headerWordRetiredRegionCount of them.
 */
export const headerWordRetiredRegionCount = 11;
export const headerWordRetiredRegions = 12;
export const retiredRegionsMax = 24;
/**
 * Index seqlock for readers on other threads: odd while a rehash is publishing a new region,
 * +2 per rehash. A direct reader that sees it odd, or changed across its probe, falls back to the
 * owner (the old region may already be reused for pages).
 */
export const headerWordIndexEpoch = 60;

export const headerWordClassFreeHead8 = 64;
export const headerWordClassPageNext8 = headerWordClassFreeHead8 + classCount;
export const headerWordClassPageEnd8 = headerWordClassPageNext8 + classCount;
export const headerWordsEnd = headerWordClassPageEnd8 + classCount;

/** Per namespace: [records, bytes] as f64 at namespaceStatsByteOffset + 16 * namespaceId. */
export const namespaceStatsByteOffset = 4096;
export const namespaceStatsBytesEach = 16;
export const headerBytes = 8192;

export const indexCapacityLog2Min = 12;
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

function assertLayout(): void {
  if (headerWordRetiredRegions + 2 * retiredRegionsMax > headerWordIndexEpoch || headerWordIndexEpoch >= headerWordClassFreeHead8) throw new Error('index epoch word overlaps');
  if (headerWordRetiredRegions + 2 * retiredRegionsMax > headerWordClassFreeHead8) throw new Error('retired region list overlaps the class words');
  if (headerWordsEnd * 4 > namespaceStatsByteOffset) throw new Error('table header words overlap namespace stats');
  if (namespaceStatsByteOffset + namespaceStatsBytesEach * (namespacesMax + 1) > headerBytes) {
    throw new Error('namespace stats overflow the table header');
  }
  if (headerBytes / 8 <= indexSlotDeleted) throw new Error('header must cover the reserved offsets 0 and 1');
  if (recordLastModifiedByte % 8 !== 0) throw new Error('lastModified must be 8-aligned for Float64Array');
}
assertLayout();
