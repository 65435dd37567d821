// A read-only view of a shard's table (layout in table-layout.ts), for any thread. The owning shard
// extends it (shard/shard-table.ts) with everything that writes; the main thread holds only
// readers (engine stats, direct reads), so the owner/coordinator split is in the types.
//
// Views are fixed-length and re-made after each grow: in Node 20 a length-tracking typed array over
// a growable SharedArrayBuffer costs 23.5 ns per random u32 access against 3.1 ns for a fixed-length
// view of the same buffer (measured here, 2^20 random reads+writes), so fixed views it is.
//
// Index: 2^k slots of [hash32, recordOffset8]; a key's home slot is hash >>> (32 - k) (the high
// bits, so slot order follows hash order, which makes scans resumable across rehashes); collisions
// probe forward, wrapping. Offset 0 = empty, 1 = deleted (tombstone).
//
// probe() is the one probe loop, used by the owner's find() and by readers on other threads. On a
// reader thread every load may race with the owner, so the probe never trusts a loaded offset: it
// range-checks each candidate against the views it holds (one load, one comparison with a length
// that cannot change under it), and the caller validates the whole read with the seqlocks
// (indexEpoch here, the record version in direct-read.ts) instead of comparing two racy loads.

import { doubleAt, wordAt } from './words';
import { assert } from './assert';
import { classOf, classSizes } from './size-classes';
import {
  headerBytes,
  headerWordBumpTop8,
  headerWordIndexEpoch,
  headerWordIndexLive,
  headerWordIndexLog2Capacity,
  headerWordIndexOffset8,
  headerWordJournalApplied,
  headerWordLayoutVersion,
  headerWordMagic,
  indexBase32,
  indexCapacityLog2Min,
  indexLog2CapacityMax,
  indexHashWord,
  indexRecordWord,
  indexSlotDeleted,
  indexSlotEmpty,
  namespaceBytesDouble,
  namespaceEvictionsDouble,
  namespaceExpirationsDouble,
  namespaceRecordsDouble,
  offsetFrom8,
  recordBytesOf,
  recordContentTypeLengthByte,
  recordExpiryByte,
  recordGenerationByte,
  recordHeaderBytes,
  recordKeyLengthByte,
  recordLastModifiedByte,
  recordLruStampByte,
  recordNamespaceIdByte,
  recordValueLengthByte,
  tableLayoutVersion,
  tableMagic,
} from './table-layout';

/** Grow by at least this much at a time: each grow is a system call and a view rebuild. */
export const growStepBytesMin = 16 * 1024 * 1024;
/** A growable SharedArrayBuffer is capped at 4 GiB in Node 20. */
export const tableBytesMax = 2 ** 32;

/** probe(): the key is absent from a stable index. */
export const probeMiss = -1;
/** probe() on a reader thread: the index or a record moved under the probe; ask the owner. */
export const probeRetry = -2;

/**
 * Makes a table buffer and writes its identity. Runs on the main thread (invariant 2: the front
 * allocates every shared buffer); the owning shard formats the index when it first attaches.
 */
export function allocateTableBuffer(reserveBytes: number): SharedArrayBuffer {
  const maxByteLength = Math.min(tableBytesMax, Math.max(reserveBytes, headerBytes + 2 * growStepBytesMin));
  const buffer = new SharedArrayBuffer(headerBytes, { maxByteLength });
  const header = new Uint32Array(buffer, 0, headerBytes / 4);
  header[headerWordMagic] = tableMagic;
  header[headerWordLayoutVersion] = tableLayoutVersion;
  header[headerWordBumpTop8] = headerBytes / 8;
  return buffer;
}

export class TableReader {
  readonly buffer: SharedArrayBuffer;
  u8!: Uint8Array;
  u32!: Uint32Array;
  f64!: Float64Array;
  #viewBytes = 0;
  protected readonly header32: Uint32Array;
  /** Set by probe(): the index epoch it started at (even), for the caller's closing check. */
  probeEpoch = 0;
  /**
   * Set by a probe that hit: the record offset it range-checked. A reader uses this, never a second
   * load of the index entry (which the owner may have changed in between, unchecked).
   */
  probeRecord = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.header32 = new Uint32Array(buffer, 0, headerBytes / 4);
    assert(this.header32[headerWordMagic] === tableMagic, 'bad magic: not a Tessera table');
    assert(this.header32[headerWordLayoutVersion] === tableLayoutVersion, 'table layout version mismatch');
    this.refreshViews();
  }

  /** Re-makes the views when the buffer has grown (possibly by another thread). */
  refreshViews(): void {
    const bytes = this.buffer.byteLength;
    if (bytes === this.#viewBytes) return;
    this.u8 = new Uint8Array(this.buffer, 0, bytes);
    this.u32 = new Uint32Array(this.buffer, 0, bytes >>> 2);
    this.f64 = new Float64Array(this.buffer, 0, bytes >>> 3);
    this.#viewBytes = bytes;
  }

  /** The header words (read them through the headerWord* names). */
  get header(): Uint32Array {
    return this.header32;
  }

  get indexLive(): number {
    return this.header32[headerWordIndexLive]!;
  }
  get indexLog2Capacity(): number {
    return this.header32[headerWordIndexLog2Capacity]!;
  }
  get indexCapacity(): number {
    return 1 << this.indexLog2Capacity; // log2 <= 30: an int32 shift, not Math.pow
  }
  get usedBytes(): number {
    return offsetFrom8(this.header32[headerWordBumpTop8]!);
  }
  get journalApplied(): number {
    return Atomics.load(this.header32, headerWordJournalApplied);
  }
  get indexEpoch(): number {
    return Atomics.load(this.header32, headerWordIndexEpoch);
  }

  // ---- namespace stats (f64 in the header, so the main thread can read them) ----

  namespaceRecords(namespaceId: number): number {
    return this.f64[namespaceRecordsDouble(namespaceId)]!;
  }
  namespaceBytes(namespaceId: number): number {
    return this.f64[namespaceBytesDouble(namespaceId)]!;
  }
  namespaceEvictions(namespaceId: number): number {
    return this.f64[namespaceEvictionsDouble(namespaceId)]!;
  }
  namespaceExpirations(namespaceId: number): number {
    return this.f64[namespaceExpirationsDouble(namespaceId)]!;
  }

  // ---- records (offset = the record's byte offset) ----

  recordVersion(offset: number): number {
    return Atomics.load(this.u32, wordAt(offset));
  }
  recordKeyLength(offset: number): number {
    return this.u8[offset + recordKeyLengthByte]! | (this.u8[offset + recordKeyLengthByte + 1]! << 8);
  }
  recordContentTypeLength(offset: number): number {
    return this.u8[offset + recordContentTypeLengthByte]!;
  }
  recordNamespaceId(offset: number): number {
    return this.u8[offset + recordNamespaceIdByte]!;
  }
  recordValueLength(offset: number): number {
    return this.u32[wordAt(offset + recordValueLengthByte)]!;
  }
  recordGeneration(offset: number): number {
    return this.u32[wordAt(offset + recordGenerationByte)]!;
  }
  recordExpiry(offset: number): number {
    return this.u32[wordAt(offset + recordExpiryByte)]!;
  }
  recordLruStamp(offset: number): number {
    return this.u32[wordAt(offset + recordLruStampByte)]!;
  }
  recordLastModified(offset: number): number {
    return this.f64[doubleAt(offset + recordLastModifiedByte)]!;
  }
  recordKeyStart(offset: number): number {
    return offset + recordHeaderBytes;
  }
  recordContentTypeStart(offset: number): number {
    return offset + recordHeaderBytes + this.recordKeyLength(offset);
  }
  recordValueStart(offset: number): number {
    return this.recordContentTypeStart(offset) + this.recordContentTypeLength(offset);
  }
  /** Bytes the record occupies: its slot size class. */
  recordSlotBytes(offset: number): number {
    return classSizes[classOf(recordBytesOf(this.recordKeyLength(offset), this.recordContentTypeLength(offset), this.recordValueLength(offset)))]!;
  }

  // ---- index ----

  protected get indexBase32(): number {
    return indexBase32(this.header32[headerWordIndexOffset8]!);
  }

  /** Hash stored in index slot `slot`. */
  slotHash(slot: number): number {
    return this.u32[indexHashWord(this.indexBase32, slot)]!;
  }

  /** Record byte offset in index slot `slot`, or 0 / 8 for empty / deleted (offset8 0 and 1). */
  slotRecord(slot: number): number {
    return offsetFrom8(this.u32[indexRecordWord(this.indexBase32, slot)]!);
  }

  /**
   * The index slot holding (namespaceId, key = keySource[keyStart, keyStart + keyLength)), or
   * probeMiss; on a thread that does not own the table also probeRetry (index being republished,
   * or a candidate offset outside the views). Sets probeEpoch; a reader re-checks it after
   * reading the record (indexEpoch === probeEpoch). The owner's find() wraps this loop.
   */
  probe(namespaceId: number, keySource: Uint8Array, keyStart: number, keyLength: number, hash: number): number {
    const epoch = Atomics.load(this.header32, headerWordIndexEpoch);
    if ((epoch & 1) !== 0) return probeRetry;
    this.probeEpoch = epoch;
    const log2 = Atomics.load(this.header32, headerWordIndexLog2Capacity);
    const base = indexBase32(Atomics.load(this.header32, headerWordIndexOffset8));
    // The owner may have grown the buffer: views are fixed-length, so re-make them when its length
    // moved; an offset past them after that is not a record's.
    this.refreshViews();
    // Not yet formatted by its shard, or a region outside the views: not a region to trust.
    if (log2 < indexCapacityLog2Min || log2 > indexLog2CapacityMax || base === 0 || indexRecordWord(base, (1 << log2) - 1) >= this.u32.length) return probeRetry;
    this.probeBase32 = base;
    this.probeLog2 = log2;
    return this.probeLoop(namespaceId, keySource, keyStart, keyLength, hash);
  }

  /** The region probeLoop walks: set by probe() from atomic loads, by the owner's find() directly. */
  protected probeBase32 = 0;
  protected probeLog2 = 0;

  /**
   * The probe loop over the region at probeBase32 (2^probeLog2 slots). Also notes the first tombstone
   * on the path, else the empty slot that ended it (insertSlotFound), which only the owner uses.
   */
  protected probeLoop(namespaceId: number, keySource: Uint8Array, keyStart: number, keyLength: number, hash: number): number {
    const base = this.probeBase32;
    const log2 = this.probeLog2;
    const u32 = this.u32;
    const u8 = this.u8;
    // log2 <= 30 (indexLog2CapacityMax), so shifts stay in int32.
    const mask = (1 << log2) - 1;
    const recordEnd = u8.length - recordHeaderBytes - keyLength;
    let slot = hash >>> (32 - log2);
    let firstDeleted = -1;
    for (let probes = 0; probes <= mask; probes++, slot = (slot + 1) & mask) {
      const hashWord = indexHashWord(base, slot);
      const entry = u32[hashWord + 1]!;
      if (entry === indexSlotEmpty) {
        this.insertSlotFound = firstDeleted >= 0 ? firstDeleted : slot;
        return probeMiss;
      }
      if (entry === indexSlotDeleted) {
        if (firstDeleted < 0) firstDeleted = slot;
        continue;
      }
      if (u32[hashWord] !== hash) continue;
      const record = offsetFrom8(entry);
      // One racy load (entry), compared with a fixed view length: never two loads against each other.
      if (record < headerBytes || record > recordEnd) return probeRetry;
      if (u8[record + recordNamespaceIdByte] !== namespaceId) continue;
      if ((u8[record + recordKeyLengthByte]! | (u8[record + recordKeyLengthByte + 1]! << 8)) !== keyLength) continue;
      const recordKey = record + recordHeaderBytes;
      let same = true;
      for (let i = 0; i < keyLength; i++) {
        if (u8[recordKey + i] !== keySource[keyStart + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.insertSlotFound = firstDeleted;
        this.probeRecord = record;
        return slot;
      }
    }
    this.insertSlotFound = firstDeleted;
    return probeMiss;
  }

  /**
   * Where the last probe would insert: on a miss its first tombstone, else the empty slot that ended
   * it (-1 if none); on a hit the first tombstone before the found slot (-1 if none).
   */
  protected insertSlotFound = -1;
}
