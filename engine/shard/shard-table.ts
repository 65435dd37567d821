// A shard's table, as its owning thread sees it: the read-only TableReader (layout/table-reader.ts)
// plus everything that writes: the slab arena (allocate, free), records (writeRecord, setExpiry),
// and the index sequences of invariant 3 (link a new record, swap a record for its replacement,
// unlink a removed one), each with its accounting. The owning shard thread is the only writer
// (invariant 1); nothing on the main thread holds one of these.

import { doubleAt, wordAt } from '../layout/words';
import { assert, assertStored, fail } from '../layout/assert';
import type { ByteRuns } from '../layout/byte-runs';
import { copyBytes, copyWords } from '../layout/copy-bytes';
import { namespacesMax } from '../layout/limits';
import { classOf, classSizes, pageBytesOf } from '../layout/size-classes';
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
  headerWordRetiredIndexBytes8,
  headerWordRetiredRegionCount,
  headerWordRetiredRegions,
  indexBase32,
  indexCapacityLog2Min,
  indexLog2CapacityMax,
  indexHashWord,
  indexLoadMax,
  indexRecordWord,
  indexSlotDeleted,
  indexSlotEmpty,
  isRecordEntry,
  namespaceBytesDouble,
  namespaceRecordsDouble,
  offsetFrom8,
  offsetTo8,
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
  retiredRegionsMax,
} from '../layout/table-layout';
import type { RecordStamp } from '../layout/types';
import { growStepBytesMin, probeMiss, probeRetry, TableReader } from '../layout/table-reader';

const regionAlignBytes = 64;

/** The record header fields a writer supplies (lengths come from the ByteRuns). */
export interface RecordFields extends RecordStamp {
  namespaceId: number;
}

export class ShardTable extends TableReader {
  /** find()'s slot for the key it looked up, or -1; link() inserts where that find() missed. */
  #foundSlot = -1;
  /** find()'s insert position, or -1 when an index change since made it stale. */
  #insertSlot = -1;
  /** On a hit: the first tombstone find() passed before the found slot, or -1. */
  #foundFirstDeleted = -1;

  /** Attaches to a table the front allocated; formats its first index if no shard has yet. */
  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    if (this.header32[headerWordIndexOffset8] === 0) assert(this.#installIndex(indexCapacityLog2Min), 'no memory for the first index');
  }

  override set journalApplied(position: number) {
    Atomics.store(this.header32, headerWordJournalApplied, position);
  }
  override get journalApplied(): number {
    return super.journalApplied;
  }

  nextAccessStamp(): number {
    const stamp = (this.header32[headerWordAccessClock]! + 1) >>> 0;
    this.header32[headerWordAccessClock] = stamp;
    return stamp;
  }

  touchLru(offset: number): void {
    this.u32[wordAt(offset + recordLruStampByte)] = this.nextAccessStamp();
  }

  /** Changes the expiry in place under the seqlock (odd while writing). */
  setExpiry(offset: number, expiry: number): void {
    const versionWord = wordAt(offset + recordVersionByte);
    Atomics.add(this.u32, versionWord, 1);
    this.u32[wordAt(offset + recordExpiryByte)] = expiry;
    Atomics.add(this.u32, versionWord, 1);
  }

  /**
   * Writes a whole record into a fresh slot (not yet reachable from the index, so no reader can
   * see it half-written). Key, content type and value are the runs of `runs`.
   */
  writeRecord(offset: number, fields: RecordFields, runs: ByteRuns): void {
    const u8 = this.u8;
    const u32 = this.u32;
    const keyLength = runs.keyLength;
    const contentTypeLength = runs.contentTypeLength;
    const versionWord = wordAt(offset + recordVersionByte);
    const version = u32[versionWord]!;
    assert((version & 1) === 0, 'fresh slot has an odd version');
    u32[versionWord] = version + 1;
    u32[wordAt(offset + recordValueLengthByte)] = runs.valueLength;
    u8[offset + recordKeyLengthByte] = keyLength & 0xff;
    u8[offset + recordKeyLengthByte + 1] = keyLength >>> 8;
    u8[offset + recordContentTypeLengthByte] = contentTypeLength;
    u8[offset + recordNamespaceIdByte] = fields.namespaceId;
    // Pair checks: the narrow fields (u16 key length, u8 content-type length, u8 namespace id) read
    // back what was meant, so a value too wide for its field fails here, not in a later reader.
    assertStored(this.recordKeyLength(offset), keyLength, 'record key length');
    assertStored(u8[offset + recordContentTypeLengthByte]!, contentTypeLength, 'record content-type length');
    assertStored(u8[offset + recordNamespaceIdByte]!, fields.namespaceId, 'record namespace id');
    u32[wordAt(offset + recordGenerationByte)] = fields.generation;
    u32[wordAt(offset + recordExpiryByte)] = fields.expiry;
    u32[wordAt(offset + recordLruStampByte)] = this.nextAccessStamp();
    this.f64[doubleAt(offset + recordLastModifiedByte)] = fields.lastModified;
    let target = offset + recordHeaderBytes;
    copyWords(runs, runs.keyStart, this, target, keyLength);
    target += keyLength;
    copyBytes(runs.u8, runs.contentTypeStart, u8, target, contentTypeLength);
    target += contentTypeLength;
    copyWords(runs, runs.valueStart, this, target, runs.valueLength);
    Atomics.store(u32, versionWord, version + 2);
  }

  // ---- index: find, then link / swap / unlink ----

  /**
   * The index slot holding (namespaceId, key), or -1. Remembers where the key would be inserted,
   * for a link() that follows (no second probe).
   */
  find(namespaceId: number, keySource: Uint8Array, keyStart: number, keyLength: number, hash: number): number {
    this.probeBase32 = this.indexBase32;
    this.probeLog2 = this.header32[headerWordIndexLog2Capacity]!;
    const slot = this.probeLoop(namespaceId, keySource, keyStart, keyLength, hash);
    assert(slot !== probeRetry, 'the owner found an index entry outside its own arena');
    this.#foundSlot = slot;
    this.#insertSlot = slot === probeMiss ? this.insertSlotFound : -1;
    this.#foundFirstDeleted = slot === probeMiss ? -1 : this.insertSlotFound;
    return slot < 0 ? -1 : slot;
  }

  /** Links a new record of the key the last find() missed, and counts it (invariant 3: after the journal append). */
  link(hash: number, record: number): void {
    let slot = this.#insertSlot;
    if (slot < 0) {
      // Removals since that find() (eviction) may have emptied a slot on the key's probe path:
      // probe again from the record's own key so the new entry stays reachable.
      const found = this.find(this.recordNamespaceId(record), this.u8, this.recordKeyStart(record), this.recordKeyLength(record), hash);
      assert(found < 0, 'link of a key that is already linked');
      slot = this.#insertSlot;
    }
    assert(slot >= 0, 'index full with no deleted slot');
    const word = indexRecordWord(this.indexBase32, slot);
    const previous = this.u32[word]!;
    assert(previous === indexSlotEmpty || previous === indexSlotDeleted, 'link over a live slot');
    this.u32[indexHashWord(this.indexBase32, slot)] = hash;
    Atomics.store(this.u32, word, offsetTo8(record));
    this.header32[headerWordIndexLive]!++;
    if (previous === indexSlotDeleted) this.header32[headerWordIndexDeleted]!--;
    this.#insertSlot = -1;
    this.#foundSlot = -1;
    this.#account(record, 1);
  }

  /** Swaps the record behind a live slot for its replacement, then frees the old one (invariant 3). */
  swap(slot: number, previous: number, next: number): void {
    const word = indexRecordWord(this.indexBase32, slot);
    assert(offsetFrom8(this.u32[word]!) === previous, 'swap of a slot that holds another record');
    Atomics.store(this.u32, word, offsetTo8(next));
    this.#account(previous, -1);
    this.#account(next, 1);
    this.#free(previous, this.recordSlotBytes(previous));
  }

  /** Removes a record from the index, uncounts it and frees its slot (the reader sees its version move). */
  unlink(slot: number, record: number): void {
    assert(this.slotRecord(slot) === record, 'unlink of a slot that holds another record');
    this.#removeAt(slot);
    this.#account(record, -1);
    this.#free(record, this.recordSlotBytes(record));
  }

  #removeAt(slot: number): void {
    const base = this.indexBase32;
    const mask = this.indexCapacity - 1;
    const next = (slot + 1) & mask;
    // A slot followed by an empty one ends its probe run: it can become empty, not a tombstone.
    if (this.u32[indexRecordWord(base, next)] === indexSlotEmpty) {
      Atomics.store(this.u32, indexRecordWord(base, slot), indexSlotEmpty);
    } else {
      Atomics.store(this.u32, indexRecordWord(base, slot), indexSlotDeleted);
      this.header32[headerWordIndexDeleted]!++;
    }
    this.header32[headerWordIndexLive]!--;
    // Removing the found key's own slot leaves the insert position known: the first tombstone
    // before it, else the slot itself (now empty or a tombstone; either ends or continues the
    // same path). Removing any other slot may break that path: link() probes again.
    this.#insertSlot = slot === this.#foundSlot ? (this.#foundFirstDeleted >= 0 ? this.#foundFirstDeleted : slot) : -1;
    this.#foundSlot = -1;
  }

  /**
   * Makes room for `more` inserts (one, or a bulk load's count ahead of it: recovery.ts), rehashing
   * if the load would pass indexLoadMax. False if out of memory.
   */
  reserveIndexSlot(more = 1): boolean {
    const live = this.header32[headerWordIndexLive]!;
    const deleted = this.header32[headerWordIndexDeleted]!;
    const log2 = this.header32[headerWordIndexLog2Capacity]!;
    if (live + deleted + more <= (1 << log2) * indexLoadMax) return true;
    // Mostly tombstones: rehash at the same size; otherwise double (or more, for a bulk load).
    let targetLog2 = live + more > (1 << log2) * (indexLoadMax / 2) ? log2 + 1 : log2;
    while (targetLog2 < indexLog2CapacityMax && (1 << targetLog2) * indexLoadMax < live + more) targetLog2++;
    return this.#installIndex(targetLog2);
  }

  #installIndex(log2: number): boolean {
    assert(log2 >= indexCapacityLog2Min && log2 <= indexLog2CapacityMax, `index log2 capacity ${log2}`);
    const capacity = 1 << log2;
    const regionOffset = this.#carve(capacity * 8, regionAlignBytes);
    if (regionOffset === 0) return false;
    const newBase = wordAt(regionOffset);
    this.u32.fill(0, newBase, newBase + capacity * 2);
    const oldOffset8 = this.header32[headerWordIndexOffset8]!;
    const oldLog2 = this.header32[headerWordIndexLog2Capacity]!;
    if (oldOffset8 !== 0) this.#rehashInto(indexBase32(oldOffset8), 2 ** oldLog2, newBase, log2);
    // Publish: the region first (written above), then where it is, inside the index seqlock.
    Atomics.add(this.header32, headerWordIndexEpoch, 1);
    Atomics.store(this.header32, headerWordIndexLog2Capacity, log2);
    Atomics.store(this.header32, headerWordIndexOffset8, offsetTo8(regionOffset));
    Atomics.add(this.header32, headerWordIndexEpoch, 1);
    this.header32[headerWordIndexDeleted] = 0;
    this.#insertSlot = -1;
    this.#foundSlot = -1;
    // The old region is free now (a direct reader probing it sees the epoch moved and retries):
    // without reuse it would cost ~17 bytes per record at 1M records (the retired regions add up
    // to nearly the live one's size).
    if (oldOffset8 !== 0) this.#retireRegion(oldOffset8, oldOffset8 + 2 ** oldLog2);
    return true;
  }

  #rehashInto(oldBase: number, oldCapacity: number, newBase: number, log2: number): void {
    const mask = (1 << log2) - 1;
    const u32 = this.u32;
    let live = 0;
    for (let old = 0; old < oldCapacity; old++) {
      const entry = u32[indexRecordWord(oldBase, old)]!;
      if (!isRecordEntry(entry)) continue;
      const hash = u32[indexHashWord(oldBase, old)]!;
      let slot = hash >>> (32 - log2);
      for (let probes = 0; u32[indexRecordWord(newBase, slot)] !== indexSlotEmpty; probes++) {
        assert(probes <= mask, 'rehash target full');
        slot = (slot + 1) & mask;
      }
      u32[indexHashWord(newBase, slot)] = hash;
      u32[indexRecordWord(newBase, slot)] = entry;
      live++;
    }
    assert(live === this.header32[headerWordIndexLive], `rehash moved ${live} of ${this.header32[headerWordIndexLive]} entries`);
    this.header32[headerWordRetiredIndexBytes8] = this.header32[headerWordRetiredIndexBytes8]! + oldCapacity;
  }

  #retireRegion(start8: number, end8: number): void {
    const count = this.header32[headerWordRetiredRegionCount]!;
    if (count === retiredRegionsMax) return;
    this.header32[headerWordRetiredRegions + 2 * count] = start8;
    this.header32[headerWordRetiredRegions + 2 * count + 1] = end8;
    this.header32[headerWordRetiredRegionCount] = count + 1;
  }

  /** Takes `bytes` from a retired index region when one has room; 0 otherwise. */
  #carveRetired(bytes: number, align: number): number {
    const header = this.header32;
    const count = header[headerWordRetiredRegionCount]!;
    assert(count <= retiredRegionsMax, 'retired region count out of range');
    for (let i = 0; i < count; i++) {
      const word = headerWordRetiredRegions + 2 * i;
      const start = Math.ceil(offsetFrom8(header[word]!) / align) * align;
      const end = offsetFrom8(header[word + 1]!);
      if (start + bytes > end) continue;
      if (start + bytes + pageBytesOf(0) > end) {
        // What remains is too small to matter: drop the region from the list.
        header[word] = header[headerWordRetiredRegions + 2 * (count - 1)]!;
        header[word + 1] = header[headerWordRetiredRegions + 2 * (count - 1) + 1]!;
        header[headerWordRetiredRegionCount] = count - 1;
      } else {
        header[word] = offsetTo8(start + bytes);
      }
      // It held index entries: a fresh slot must start with version 0 (even) and clean words.
      this.u32.fill(0, wordAt(start), wordAt(start + bytes));
      return start;
    }
    return 0;
  }

  // ---- slab arena ----

  /** A fresh slot of the class holding `bytes`, or 0 when the buffer cannot grow. */
  allocate(bytes: number): number {
    const classIndex = classOf(bytes);
    if (classIndex < 0) fail(`record of ${bytes} bytes exceeds every size class`);
    const header = this.header32;
    const head8 = header[headerWordClassFreeHead8 + classIndex]!;
    if (head8 !== 0) {
      header[headerWordClassFreeHead8 + classIndex] = this.u32[wordAt(offsetFrom8(head8) + recordFreeNextByte)]!;
      return offsetFrom8(head8);
    }
    const size = classSizes[classIndex]!;
    const pageBytes = pageBytesOf(classIndex);
    let next8 = header[headerWordClassPageNext8 + classIndex]!;
    if (next8 === 0 || next8 + offsetTo8(size) > header[headerWordClassPageEnd8 + classIndex]!) {
      const page = this.#carveRetired(pageBytes, 8) || this.#carve(pageBytes, 8);
      if (page === 0) return 0;
      next8 = offsetTo8(page);
      header[headerWordClassPageEnd8 + classIndex] = next8 + offsetTo8(pageBytes);
    }
    header[headerWordClassPageNext8 + classIndex] = next8 + offsetTo8(size);
    return offsetFrom8(next8);
  }

  /** Returns a slot to its class's free list; bumping the version tells a stale reader. */
  #free(offset: number, bytes: number): void {
    const classIndex = classOf(bytes);
    if (classIndex < 0 || offset < headerBytes || offset % 8 !== 0) fail(`free of a bad slot ${offset}`);
    Atomics.add(this.u32, wordAt(offset + recordVersionByte), 2);
    this.u32[wordAt(offset + recordFreeNextByte)] = this.header32[headerWordClassFreeHead8 + classIndex]!;
    this.header32[headerWordClassFreeHead8 + classIndex] = offsetTo8(offset);
  }

  /** Returns a slot that was allocated and written but never linked (a commit that did not happen). */
  release(offset: number): void {
    this.#free(offset, this.recordSlotBytes(offset));
  }

  /** Carves `bytes` from the bump top, growing the buffer; 0 when it cannot grow. */
  #carve(bytes: number, align: number): number {
    const header = this.header32;
    const start = Math.ceil(offsetFrom8(header[headerWordBumpTop8]!) / align) * align;
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
    header[headerWordBumpTop8] = offsetTo8(end);
    return start;
  }

  // ---- accounting ----

  /** Adds (sign 1) or removes (sign -1) a linked record in its namespace's stats. */
  #account(offset: number, sign: 1 | -1): void {
    const namespaceId = this.recordNamespaceId(offset);
    const f64 = this.f64;
    f64[namespaceRecordsDouble(namespaceId)] = f64[namespaceRecordsDouble(namespaceId)]! + sign;
    f64[namespaceBytesDouble(namespaceId)] = f64[namespaceBytesDouble(namespaceId)]! + sign * this.recordSlotBytes(offset);
  }

  /** Recomputes live count and namespace stats by walking the index (after a shard restart). */
  recount(): void {
    for (let namespaceId = 0; namespaceId <= namespacesMax; namespaceId++) {
      this.f64[namespaceRecordsDouble(namespaceId)] = 0;
      this.f64[namespaceBytesDouble(namespaceId)] = 0;
    }
    let live = 0;
    let deleted = 0;
    const capacity = this.indexCapacity;
    for (let slot = 0; slot < capacity; slot++) {
      const record = this.slotRecord(slot);
      if (record === offsetFrom8(indexSlotDeleted)) deleted++;
      else if (record !== 0) {
        live++;
        this.#account(record, 1);
      }
    }
    this.header32[headerWordIndexLive] = live;
    this.header32[headerWordIndexDeleted] = deleted;
  }
}
