// A shard's table: an open-addressing index and a slab arena in one growable SharedArrayBuffer.
// The owning shard thread is the only writer (invariant 1); the main thread only reads the
// header (stats). Layout constants live in table-layout.ts.
//
// Views are fixed-length and re-made after each grow: in Node 20 a length-tracking typed array over
// a growable SharedArrayBuffer costs 23.5 ns per random u32 access against 3.1 ns for a fixed-length
// view of the same buffer (measured here, 2^20 random reads+writes), so fixed views it is.
//
// Index: 2^k slots of [hash32, recordOffset8]; a key's home slot is hash >>> (32 - k) (the high
// bits, so slot order follows hash order, which makes scans resumable across rehashes); collisions
// probe forward, wrapping. Offset 0 = empty, 1 = deleted (tombstone).

import { copyBytes, copyWords } from '../copy-bytes';
import { namespacesMax } from '../limits';
import { classCount, classOf, classSizes, pageBytesOf } from './size-classes';
import {
  headerBytes,
  headerWordAccessClock,
  headerWordBumpTop8,
  headerWordClassFreeHead8,
  headerWordClassPageEnd8,
  headerWordClassPageNext8,
  headerWordIndexDeleted,
  headerWordIndexEpoch,
  headerWordIndexLive,
  headerWordIndexLog2Capacity,
  headerWordIndexOffset8,
  headerWordJournalApplied,
  headerWordLayoutVersion,
  headerWordMagic,
  headerWordRetiredIndexBytes8,
  headerWordRetiredRegionCount,
  headerWordRetiredRegions,
  retiredRegionsMax,
  indexCapacityLog2Min,
  indexLoadMax,
  indexSlotDeleted,
  indexSlotEmpty,
  namespaceStatsByteOffset,
  recordContentTypeLengthByte,
  recordExpiryByte,
  recordFreeNextByte,
  recordGenerationByte,
  recordHeaderBytes,
  recordKeyLengthByte,
  recordLastModifiedByte,
  recordLruStampByte,
  recordNamespaceIdByte,
  recordValueLengthByte,
  recordVersionByte,
  tableLayoutVersion,
  tableMagic,
} from './table-layout';

/** Grow by at least this much at a time: each grow is a system call and a view rebuild. */
const growStepBytesMin = 16 * 1024 * 1024;
const regionAlignBytes = 64;

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`table invariant: ${message}`);
}

export interface RecordFields {
  namespaceId: number;
  generation: number;
  expiry: number;
  lastModified: number;
}

export class ShardTable {
  readonly buffer: SharedArrayBuffer;
  u8!: Uint8Array;
  u32!: Uint32Array;
  i32!: Int32Array;
  f64!: Float64Array;
  #viewBytes = 0;
  #header: Uint32Array;
  /** Set by find(): where an insert of the key just looked up should go. */
  insertSlot = -1;

  /** Makes and formats a table. Runs on the main thread; the shard attaches to the result. */
  static allocate(reserveBytes: number): SharedArrayBuffer {
    const maxByteLength = Math.min(2 ** 32, Math.max(reserveBytes, headerBytes + 2 * growStepBytesMin));
    const buffer = new SharedArrayBuffer(headerBytes, { maxByteLength });
    const header = new Uint32Array(buffer, 0, headerBytes / 4);
    header[headerWordMagic] = tableMagic;
    header[headerWordLayoutVersion] = tableLayoutVersion;
    header[headerWordBumpTop8] = headerBytes / 8;
    const table = new ShardTable(buffer);
    table.#installIndex(indexCapacityLog2Min);
    return buffer;
  }

  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#header = new Uint32Array(buffer, 0, headerBytes / 4);
    assert(this.#header[headerWordMagic] === tableMagic, 'bad magic: not a Tessera table');
    assert(this.#header[headerWordLayoutVersion] === tableLayoutVersion, 'table layout version mismatch');
    this.refreshViews();
  }

  /** Re-makes the views when the buffer has grown (possibly by another thread). */
  refreshViews(): void {
    const bytes = this.buffer.byteLength;
    if (bytes === this.#viewBytes) return;
    this.u8 = new Uint8Array(this.buffer, 0, bytes);
    this.u32 = new Uint32Array(this.buffer, 0, bytes >>> 2);
    this.i32 = new Int32Array(this.buffer, 0, bytes >>> 2);
    this.f64 = new Float64Array(this.buffer, 0, bytes >>> 3);
    this.#viewBytes = bytes;
  }

  get header(): Uint32Array {
    return this.#header;
  }

  get indexLive(): number {
    return this.#header[headerWordIndexLive]!;
  }

  get indexCapacity(): number {
    return 2 ** this.#header[headerWordIndexLog2Capacity]!;
  }

  get usedBytes(): number {
    return this.#header[headerWordBumpTop8]! * 8;
  }

  get journalApplied(): number {
    return Atomics.load(this.#header, headerWordJournalApplied);
  }

  set journalApplied(position: number) {
    Atomics.store(this.#header, headerWordJournalApplied, position);
  }

  nextAccessStamp(): number {
    const stamp = (this.#header[headerWordAccessClock]! + 1) >>> 0;
    this.#header[headerWordAccessClock] = stamp;
    return stamp;
  }

  // ---- namespace stats (f64 in the header, so the main thread can read them) ----

  namespaceRecords(namespaceId: number): number {
    return this.f64[(namespaceStatsByteOffset >>> 3) + namespaceId * 2]!;
  }

  namespaceBytes(namespaceId: number): number {
    return this.f64[(namespaceStatsByteOffset >>> 3) + namespaceId * 2 + 1]!;
  }

  #addNamespaceStats(namespaceId: number, records: number, bytes: number): void {
    const word = (namespaceStatsByteOffset >>> 3) + namespaceId * 2;
    this.f64[word] = this.f64[word]! + records;
    this.f64[word + 1] = this.f64[word + 1]! + bytes;
  }

  // ---- records ----

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
    return this.u32[(offset + recordValueLengthByte) >>> 2]!;
  }
  recordGeneration(offset: number): number {
    return this.u32[(offset + recordGenerationByte) >>> 2]!;
  }
  recordExpiry(offset: number): number {
    return this.u32[(offset + recordExpiryByte) >>> 2]!;
  }
  recordLruStamp(offset: number): number {
    return this.u32[(offset + recordLruStampByte) >>> 2]!;
  }
  recordLastModified(offset: number): number {
    return this.f64[(offset + recordLastModifiedByte) >>> 3]!;
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
    const bytes = recordHeaderBytes + this.recordKeyLength(offset) + this.recordContentTypeLength(offset) + this.recordValueLength(offset);
    return classSizes[classOf(bytes)]!;
  }

  touchLru(offset: number): void {
    this.u32[(offset + recordLruStampByte) >>> 2] = this.nextAccessStamp();
  }

  /** Changes the expiry in place under the seqlock (odd while writing). */
  setExpiry(offset: number, expiry: number): void {
    const versionWord = (offset + recordVersionByte) >>> 2;
    Atomics.add(this.u32, versionWord, 1);
    this.u32[(offset + recordExpiryByte) >>> 2] = expiry;
    Atomics.add(this.u32, versionWord, 1);
  }

  /**
   * Writes a whole record into a fresh slot (not yet reachable from the index, so no reader can
   * see it half-written). Key, content type and value are ranges of one source (and its u32 view,
   * for word copies), given as offsets to avoid subarray objects.
   */
  writeRecord(
    offset: number,
    fields: RecordFields,
    source: Uint8Array, source32: Uint32Array,
    keyStart: number, keyLength: number,
    contentTypeStart: number, contentTypeLength: number,
    valueStart: number, valueLength: number,
  ): void {
    const u8 = this.u8;
    const u32 = this.u32;
    const versionWord = (offset + recordVersionByte) >>> 2;
    const version = u32[versionWord]!;
    assert((version & 1) === 0, 'fresh slot has an odd version');
    u32[versionWord] = version + 1;
    u32[(offset + recordValueLengthByte) >>> 2] = valueLength;
    u8[offset + recordKeyLengthByte] = keyLength & 0xff;
    u8[offset + recordKeyLengthByte + 1] = keyLength >>> 8;
    u8[offset + recordContentTypeLengthByte] = contentTypeLength;
    u8[offset + recordNamespaceIdByte] = fields.namespaceId;
    u32[(offset + recordGenerationByte) >>> 2] = fields.generation;
    u32[(offset + recordExpiryByte) >>> 2] = fields.expiry;
    u32[(offset + recordLruStampByte) >>> 2] = this.nextAccessStamp();
    this.f64[(offset + recordLastModifiedByte) >>> 3] = fields.lastModified;
    let target = offset + recordHeaderBytes;
    copyWords(source, source32, keyStart, u8, u32, target, keyLength);
    target += keyLength;
    copyBytes(source, contentTypeStart, u8, target, contentTypeLength);
    target += contentTypeLength;
    copyWords(source, source32, valueStart, u8, u32, target, valueLength);
    Atomics.store(u32, versionWord, version + 2);
  }

  // ---- index ----

  get #indexBase32(): number {
    return this.#header[headerWordIndexOffset8]! * 2;
  }

  /** Hash stored in index slot `slot`. */
  slotHash(slot: number): number {
    return this.u32[this.#indexBase32 + slot * 2]!;
  }

  /** Record byte offset in index slot `slot`, or 0 / 8 for empty / deleted (offset8 0 and 1). */
  slotRecord(slot: number): number {
    return this.u32[this.#indexBase32 + slot * 2 + 1]! * 8;
  }

  /**
   * The index slot holding (namespaceId, key), or -1. Also sets insertSlot: the first deleted slot
   * on the probe path, else the empty slot that ended it.
   */
  find(namespaceId: number, keySource: Uint8Array, keyStart: number, keyLength: number, hash: number): number {
    const u32 = this.u32;
    const u8 = this.u8;
    const base = this.#indexBase32;
    const log2 = this.#header[headerWordIndexLog2Capacity]!;
    const mask = (2 ** log2 - 1) >>> 0;
    let slot = hash >>> (32 - log2);
    let firstDeleted = -1;
    for (let probes = 0; probes <= mask; probes++) {
      const entry = u32[base + slot * 2 + 1]!;
      if (entry === indexSlotEmpty) {
        this.insertSlot = firstDeleted >= 0 ? firstDeleted : slot;
        return -1;
      }
      if (entry === indexSlotDeleted) {
        if (firstDeleted < 0) firstDeleted = slot;
      } else if (u32[base + slot * 2] === hash) {
        const record = entry * 8;
        if (u8[record + recordNamespaceIdByte] === namespaceId && this.recordKeyLength(record) === keyLength) {
          const recordKey = record + recordHeaderBytes;
          let same = true;
          for (let i = 0; i < keyLength; i++) {
            if (u8[recordKey + i] !== keySource[keyStart + i]) {
              same = false;
              break;
            }
          }
          if (same) return slot;
        }
      }
      slot = (slot + 1) & mask;
    }
    assert(firstDeleted >= 0, 'index full with no deleted slot');
    this.insertSlot = firstDeleted;
    return -1;
  }

  /** Points insertSlot (from the find() that missed) at a new record. */
  insertAtFoundSlot(hash: number, recordOffset: number): void {
    const slot = this.insertSlot;
    assert(slot >= 0, 'insert without a find');
    const word = this.#indexBase32 + slot * 2;
    const previous = this.u32[word + 1]!;
    assert(previous === indexSlotEmpty || previous === indexSlotDeleted, 'insert over a live slot');
    this.u32[word] = hash;
    Atomics.store(this.u32, word + 1, recordOffset / 8);
    this.#header[headerWordIndexLive]!++;
    if (previous === indexSlotDeleted) this.#header[headerWordIndexDeleted]!--;
    this.insertSlot = -1;
  }

  /** Swaps the record behind a live slot (the index swap after the journal append). */
  replaceAt(slot: number, recordOffset: number): void {
    Atomics.store(this.u32, this.#indexBase32 + slot * 2 + 1, recordOffset / 8);
  }

  removeAt(slot: number): void {
    const base = this.#indexBase32;
    const mask = this.indexCapacity - 1;
    const next = (slot + 1) & mask;
    // A slot followed by an empty one ends its probe run: it can become empty, not a tombstone.
    if (this.u32[base + next * 2 + 1] === indexSlotEmpty) {
      Atomics.store(this.u32, base + slot * 2 + 1, indexSlotEmpty);
    } else {
      Atomics.store(this.u32, base + slot * 2 + 1, indexSlotDeleted);
      this.#header[headerWordIndexDeleted]!++;
    }
    this.#header[headerWordIndexLive]!--;
  }

  /** Makes room for one more insert, rehashing if the load would pass indexLoadMax. False if out of memory. */
  reserveIndexSlot(): boolean {
    const live = this.#header[headerWordIndexLive]!;
    const deleted = this.#header[headerWordIndexDeleted]!;
    const log2 = this.#header[headerWordIndexLog2Capacity]!;
    if (live + deleted + 1 <= 2 ** log2 * indexLoadMax) return true;
    // Mostly tombstones: rehash at the same size; otherwise double.
    const targetLog2 = live + 1 > 2 ** log2 * (indexLoadMax / 2) ? log2 + 1 : log2;
    return this.#installIndex(targetLog2);
  }

  #installIndex(log2: number): boolean {
    assert(log2 >= indexCapacityLog2Min && log2 <= 30, `index log2 capacity ${log2}`);
    const capacity = 2 ** log2;
    const regionOffset = this.#carve(capacity * 8, regionAlignBytes);
    if (regionOffset === 0) return false;
    this.u32.fill(0, regionOffset >>> 2, (regionOffset >>> 2) + capacity * 2);
    const oldOffset8 = this.#header[headerWordIndexOffset8]!;
    const oldLog2 = this.#header[headerWordIndexLog2Capacity]!;
    let live = 0;
    if (oldOffset8 !== 0) {
      const oldBase = oldOffset8 * 2;
      const oldCapacity = 2 ** oldLog2;
      const newBase = regionOffset >>> 2;
      const mask = capacity - 1;
      for (let old = 0; old < oldCapacity; old++) {
        const entry = this.u32[oldBase + old * 2 + 1]!;
        if (entry <= indexSlotDeleted) continue;
        const hash = this.u32[oldBase + old * 2]!;
        let slot = hash >>> (32 - log2);
        while (this.u32[newBase + slot * 2 + 1] !== indexSlotEmpty) slot = (slot + 1) & mask;
        this.u32[newBase + slot * 2] = hash;
        this.u32[newBase + slot * 2 + 1] = entry;
        live++;
      }
      assert(live === this.#header[headerWordIndexLive], `rehash moved ${live} of ${this.#header[headerWordIndexLive]} entries`);
      this.#header[headerWordRetiredIndexBytes8] = this.#header[headerWordRetiredIndexBytes8]! + oldCapacity;
    }
    // Publish: the region first (written above), then where it is, inside the index seqlock.
    Atomics.add(this.#header, headerWordIndexEpoch, 1);
    Atomics.store(this.#header, headerWordIndexLog2Capacity, log2);
    Atomics.store(this.#header, headerWordIndexOffset8, regionOffset / 8);
    Atomics.add(this.#header, headerWordIndexEpoch, 1);
    this.#header[headerWordIndexDeleted] = 0;
    // The old region is free now (a direct reader probing it sees the epoch moved and retries): without reuse it would cost ~17 bytes per record at 1M records
    // (the retired regions add up to nearly the live one's size).
    if (oldOffset8 !== 0) this.#retireRegion(oldOffset8, oldOffset8 + 2 ** oldLog2);
    return true;
  }

  #retireRegion(start8: number, end8: number): void {
    const count = this.#header[headerWordRetiredRegionCount]!;
    if (count === retiredRegionsMax) return;
    this.#header[headerWordRetiredRegions + 2 * count] = start8;
    this.#header[headerWordRetiredRegions + 2 * count + 1] = end8;
    this.#header[headerWordRetiredRegionCount] = count + 1;
  }

  /** Takes `bytes` from a retired index region when one has room; 0 otherwise. */
  #carveRetired(bytes: number, align: number): number {
    const header = this.#header;
    const count = header[headerWordRetiredRegionCount]!;
    for (let i = 0; i < count; i++) {
      const word = headerWordRetiredRegions + 2 * i;
      const start = Math.ceil((header[word]! * 8) / align) * align;
      const end = header[word + 1]! * 8;
      if (start + bytes > end) continue;
      if (start + bytes + pageBytesOf(0) > end) {
        // What remains is too small to matter: drop the region from the list.
        header[word] = header[headerWordRetiredRegions + 2 * (count - 1)]!;
        header[word + 1] = header[headerWordRetiredRegions + 2 * (count - 1) + 1]!;
        header[headerWordRetiredRegionCount] = count - 1;
      } else {
        header[word] = (start + bytes) / 8;
      }
      // It held index entries: a fresh slot must start with version 0 (even) and clean words.
      this.u32.fill(0, start >>> 2, (start + bytes) >>> 2);
      return start;
    }
    return 0;
  }

  // ---- slab arena ----

  /** A fresh slot of the class holding `bytes`, or 0 when the buffer cannot grow. */
  allocate(bytes: number): number {
    const classIndex = classOf(bytes);
    assert(classIndex >= 0, `record of ${bytes} bytes exceeds every size class`);
    const header = this.#header;
    const head8 = header[headerWordClassFreeHead8 + classIndex]!;
    if (head8 !== 0) {
      header[headerWordClassFreeHead8 + classIndex] = this.u32[(head8 * 8 + recordFreeNextByte) >>> 2]!;
      return head8 * 8;
    }
    const size = classSizes[classIndex]!;
    let next8 = header[headerWordClassPageNext8 + classIndex]!;
    if (next8 === 0 || next8 + size / 8 > header[headerWordClassPageEnd8 + classIndex]!) {
      const page = this.#carveRetired(pageBytesOf(classIndex), 8) || this.#carve(pageBytesOf(classIndex), 8);
      if (page === 0) return 0;
      next8 = page / 8;
      header[headerWordClassPageEnd8 + classIndex] = next8 + pageBytesOf(classIndex) / 8;
    }
    header[headerWordClassPageNext8 + classIndex] = next8 + size / 8;
    return next8 * 8;
  }

  /** Returns a slot to its class's free list; bumping the version tells a stale reader. */
  free(offset: number, bytes: number): void {
    const classIndex = classOf(bytes);
    assert(classIndex >= 0 && offset >= headerBytes && offset % 8 === 0, `free of a bad slot ${offset}`);
    Atomics.add(this.u32, (offset + recordVersionByte) >>> 2, 2);
    this.u32[(offset + recordFreeNextByte) >>> 2] = this.#header[headerWordClassFreeHead8 + classIndex]!;
    this.#header[headerWordClassFreeHead8 + classIndex] = offset / 8;
  }

  /** Carves `bytes` from the bump top, growing the buffer; 0 when it cannot grow. */
  #carve(bytes: number, align: number): number {
    const header = this.#header;
    const start = Math.ceil((header[headerWordBumpTop8]! * 8) / align) * align;
    const end = start + bytes;
    if (end > this.buffer.byteLength) {
      if (end > this.buffer.maxByteLength) return 0;
      const grown = Math.min(this.buffer.maxByteLength, Math.max(end, this.buffer.byteLength + Math.max(growStepBytesMin, this.buffer.byteLength >>> 3)));
      try {
        this.buffer.grow(grown);
      } catch {
        return 0;
      }
      this.refreshViews();
    }
    header[headerWordBumpTop8] = end / 8;
    return start;
  }

  // ---- accounting ----

  /** Adds a linked record to its namespace's stats. */
  account(offset: number, sign: 1 | -1): void {
    this.#addNamespaceStats(this.recordNamespaceId(offset), sign, sign * this.recordSlotBytes(offset));
  }

  /** Recomputes live count and namespace stats by walking the index (after a shard restart). */
  recount(): void {
    for (let namespaceId = 0; namespaceId <= namespacesMax; namespaceId++) {
      const word = (namespaceStatsByteOffset >>> 3) + namespaceId * 2;
      this.f64[word] = 0;
      this.f64[word + 1] = 0;
    }
    let live = 0;
    let deleted = 0;
    const capacity = this.indexCapacity;
    for (let slot = 0; slot < capacity; slot++) {
      const record = this.slotRecord(slot);
      if (record === indexSlotDeleted * 8) deleted++;
      else if (record !== 0) {
        live++;
        this.account(record, 1);
      }
    }
    this.#header[headerWordIndexLive] = live;
    this.#header[headerWordIndexDeleted] = deleted;
  }

  /** Verifies the allocator and index agree (tests and restart checks): every linked record is sane. */
  check(): void {
    const capacity = this.indexCapacity;
    let live = 0;
    for (let slot = 0; slot < capacity; slot++) {
      const record = this.slotRecord(slot);
      if (record <= indexSlotDeleted * 8) continue;
      live++;
      assert(record >= headerBytes && record + recordHeaderBytes <= this.usedBytes, `slot ${slot} points outside the arena`);
      assert((this.u32[record >>> 2]! & 1) === 0, `record at ${record} is mid-write`);
    }
    assert(live === this.indexLive, `index live count ${this.indexLive} but ${live} linked`);
    for (let classIndex = 0; classIndex < classCount; classIndex++) {
      let free8 = this.#header[headerWordClassFreeHead8 + classIndex]!;
      for (let steps = 0; free8 !== 0; steps++) {
        assert(steps < 1 << 28, `free list ${classIndex} loops`);
        assert(free8 * 8 >= headerBytes && free8 * 8 < this.usedBytes, `free list ${classIndex} leaves the arena`);
        free8 = this.u32[(free8 * 8 + recordFreeNextByte) >>> 2]!;
      }
    }
  }
}
