// The code that runs inside a shard thread and owns its table (invariant 1): it applies batches of
// ops, journals every change before the index swap (invariant 3), and on start replays the
// journal tail a dead predecessor committed but had not applied (invariant 2).
//
// Vocabulary: a *change* is a journal entry (put, delete, touch, expired, evicted). To *commit*
// is to append it. To *apply* is to make the index reflect it; `journalApplied` in the table
// header is the journal position through which every entry is applied.

import { Status } from '../status';
import { controlSlotClockOverrideMs } from '../control-layout';
import {
  Opcode,
  PutModeCode,
  opContentTypeLengthByte,
  opHashByte,
  opHeaderBytes,
  opIfGenerationByte,
  opKeyLengthByte,
  opNamespaceIdByte,
  opPutModeByte,
  opTtlByte,
  opValueLengthByte,
  pad4,
  resultFlagCreated,
  scanFlagAfterWholeHash,
  scanFlagHasAfter,
  scanFlagValues,
  scanResultFlagCut,
  testCrashExitAfterNextJournalAppend,
  testCrashExitNow,
  testCrashThrowUncaught,
} from '../batch/batch-layout';
import { ResultWriter } from '../batch/result-writer';
import { EntryKind } from '../journal/journal-layout';
import { JournalEntryReader } from '../journal/journal-entry-reader';
import { JournalWriter, type JournalFields } from '../journal/journal-writer';
import { classOf, classSizes } from '../table/size-classes';
import { headerWordSweepCursor, recordHeaderBytes } from '../table/table-layout';
import { keyHash } from '../hash';
import { ShardTable, type RecordFields } from '../table/shard-table';
import type { ShardNamespaceOptions, ShardOptions } from './shard-options';

/** Index slots one scan slice examines before answering; bounds the time a scan holds the shard. */
export const scanSlotsPerSlice = 65536;
/** Bytes of records one scan slice returns at most (at least one record is always returned). */
export const scanSliceBytesMax = 4 * 1024 * 1024;
/** Eviction samples this many candidates and evicts the least recently used (Redis uses 5). */
const evictionSamples = 5;
const evictionProbeSlots = 64;

export class ShardExecutor {
  readonly table: ShardTable;
  readonly #journal: JournalWriter;
  readonly #entries: JournalEntryReader;
  readonly #results = new ResultWriter();
  readonly #clock: Float64Array;
  readonly #namespaces: ShardNamespaceOptions[];
  /** Reused to pass record and journal fields without allocating per op. */
  readonly #fields: RecordFields & JournalFields = { kind: EntryKind.Put, namespaceId: 0, generation: 0, expiry: 0, lastModified: 0 };
  /** The u32 view of the batch being run (its length is a multiple of 4: ops are padded). */
  #batchWords = new Uint32Array(0);
  #nowMs = 0;
  #nowSec = 0;
  #crashAfterNextAppend = false;

  constructor(options: ShardOptions) {
    this.table = new ShardTable(options.tableBuffer);
    this.#journal = new JournalWriter(options.journalBuffer);
    this.#entries = new JournalEntryReader(options.journalBuffer);
    this.#clock = new Float64Array(options.controlBuffer);
    this.#namespaces = options.namespaces;
  }

  #readClock(): void {
    const override = this.#clock[controlSlotClockOverrideMs]!;
    this.#nowMs = override > 0 ? override : Date.now();
    this.#nowSec = Math.floor(this.#nowMs / 1000);
  }

  #isExpired(record: number): boolean {
    const expiry = this.table.recordExpiry(record);
    return expiry !== 0 && expiry <= this.#nowSec;
  }

  #expiryFor(ttlSec: number, namespace: ShardNamespaceOptions): number {
    const seconds = ttlSec < 0 ? namespace.defaultTtlSec : ttlSec;
    return seconds === 0 ? 0 : this.#nowSec + seconds;
  }

  // ---- recovery ----

  /** Attach-time check and replay. Returns how many journal entries were re-applied. */
  recover(): number {
    const table = this.table;
    table.recount();
    table.check();
    const entries = this.#entries;
    const head = this.#journal.head;
    let position = table.journalApplied;
    let replayed = 0;
    while (position !== head) {
      entries.at(position);
      const bytes = entries.entryBytes;
      if (bytes === 0 || bytes % 8 !== 0) throw new Error(`journal invariant: entry of ${bytes} bytes at ${position}`);
      if (entries.kind !== EntryKind.Pad) {
        this.#redo(entries);
        replayed++;
      }
      position = (position + bytes) >>> 0;
      table.journalApplied = position;
    }
    return replayed;
  }

  /** Re-applies one committed change if the index does not show it yet (idempotent by generation). */
  #redo(entry: JournalEntryReader): void {
    const table = this.table;
    const source = entry.u8;
    const keyStart = entry.keyStart;
    const keyLength = entry.keyLength;
    const namespaceId = entry.namespaceId;
    const hash = keyHash(namespaceId, source, keyStart, keyLength);
    if (!table.reserveIndexSlot()) throw new Error('replay invariant: no memory for the index');
    const slot = table.find(namespaceId, source, keyStart, keyLength, hash);
    const record = slot >= 0 ? table.slotRecord(slot) : 0;
    const generation = entry.generation;
    switch (entry.kind) {
      case EntryKind.Put: {
        if (record !== 0 && table.recordGeneration(record) >= generation) return;
        const bytes = recordHeaderBytes + keyLength + entry.contentTypeLength + entry.valueLength;
        const offset = table.allocate(bytes);
        if (offset === 0) throw new Error('replay invariant: no memory for a committed put');
        const fields = this.#fields;
        fields.namespaceId = namespaceId;
        fields.generation = generation;
        fields.expiry = entry.expiry;
        fields.lastModified = entry.lastModified;
        table.writeRecord(offset, fields, source, entry.u32, keyStart, keyLength, entry.contentTypeStart, entry.contentTypeLength, entry.valueStart, entry.valueLength);
        if (record !== 0) this.#swapRecord(slot, record, offset);
        else {
          table.insertAtFoundSlot(hash, offset);
          table.account(offset, 1);
        }
        return;
      }
      case EntryKind.Touch:
        if (record !== 0 && table.recordGeneration(record) === generation) table.setExpiry(record, entry.expiry);
        return;
      case EntryKind.Delete:
      case EntryKind.Expired:
      case EntryKind.Evicted:
        if (record !== 0 && table.recordGeneration(record) === generation) this.#unlink(slot, record);
        return;
      default:
        throw new Error(`journal invariant: unknown entry kind ${entry.kind}`);
    }
  }

  // ---- batches ----

  runBatch(buffer: ArrayBuffer): ArrayBuffer {
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    this.#batchWords = new Uint32Array(buffer);
    this.#readClock();
    let position = 0;
    while (position < bytes.length) {
      const keyLength = view.getUint16(position + opKeyLengthByte, true);
      const contentTypeLength = bytes[position + opContentTypeLengthByte]!;
      const valueLength = view.getUint32(position + opValueLengthByte, true);
      const opBytes = opHeaderBytes + pad4(keyLength + contentTypeLength + valueLength);
      if (position + opBytes > bytes.length) throw new Error(`batch invariant: op at ${position} overruns the batch`);
      this.#runOp(bytes, view, position);
      position += opBytes;
    }
    return this.#results.take();
  }

  #runOp(bytes: Uint8Array, view: DataView, position: number): void {
    switch (bytes[position] as Opcode) {
      case Opcode.Get:
        return this.#read(bytes, view, position, true);
      case Opcode.Head:
        return this.#read(bytes, view, position, false);
      case Opcode.Put:
        return this.#put(bytes, view, position);
      case Opcode.Delete:
        return this.#delete(bytes, view, position);
      case Opcode.Touch:
        return this.#touch(bytes, view, position);
      case Opcode.Scan:
        return this.#scan(bytes, view, position);
      case Opcode.Sweep:
        return this.#sweep(view.getUint32(position + opIfGenerationByte, true));
      case Opcode.TestCrash:
        return this.#testCrash(view.getUint32(position + opIfGenerationByte, true));
      default:
        throw new Error(`batch invariant: unknown opcode ${bytes[position]}`);
    }
  }

  /** The live record's index slot for the op's key, or -1; removes the record if it has expired. */
  #findLive(bytes: Uint8Array, view: DataView, position: number): number {
    const table = this.table;
    const namespaceId = bytes[position + opNamespaceIdByte]!;
    const keyLength = view.getUint16(position + opKeyLengthByte, true);
    const hash = view.getUint32(position + opHashByte, true);
    const keyStart = position + opHeaderBytes;
    const slot = table.find(namespaceId, bytes, keyStart, keyLength, hash);
    if (slot < 0) return -1;
    const record = table.slotRecord(slot);
    if (!this.#isExpired(record)) return slot;
    if (this.#journal.hasRoomFor(keyLength, 0, 0)) {
      this.#removeCommitted(slot, record, EntryKind.Expired);
      // The removal may have turned tombstones into empties on the probe path: find again so
      // insertSlot is right for a put that follows.
      table.find(namespaceId, bytes, keyStart, keyLength, hash);
    }
    return -1;
  }

  #read(bytes: Uint8Array, view: DataView, position: number, withValue: boolean): void {
    const slot = this.#findLive(bytes, view, position);
    if (slot < 0) return this.#results.writeStatus(Status.NotFound);
    const table = this.table;
    const record = table.slotRecord(slot);
    table.touchLru(record);
    this.#results.write(
      Status.Ok, 0, table.recordGeneration(record), table.recordExpiry(record), table.recordLastModified(record),
      table.u8, table.u32, table.recordContentTypeStart(record), table.recordContentTypeLength(record),
      table.recordValueStart(record), withValue ? table.recordValueLength(record) : -1,
    );
  }

  #put(bytes: Uint8Array, view: DataView, position: number): void {
    const table = this.table;
    const results = this.#results;
    const namespaceId = bytes[position + opNamespaceIdByte]!;
    const namespace = this.#namespaces[namespaceId];
    if (namespace === undefined) return results.writeStatus(Status.UnknownNamespace);
    const keyLength = view.getUint16(position + opKeyLengthByte, true);
    const contentTypeLength = bytes[position + opContentTypeLengthByte]!;
    const valueLength = view.getUint32(position + opValueLengthByte, true);
    const keyStart = position + opHeaderBytes;
    const hash = view.getUint32(position + opHashByte, true);
    if (!table.reserveIndexSlot()) return results.writeStatus(Status.OutOfMemory);
    const slot = this.#findLive(bytes, view, position);
    const existing = slot < 0 ? 0 : table.slotRecord(slot);
    const mode = bytes[position + opPutModeByte]!;
    if (mode === PutModeCode.Create && existing !== 0) return this.#writeMeta(Status.AlreadyExists, existing);
    if (mode === PutModeCode.Update && existing === 0) return results.writeStatus(Status.NotFound);
    const ifGeneration = view.getUint32(position + opIfGenerationByte, true);
    if (ifGeneration !== 0) {
      if (existing === 0) return results.writeStatus(Status.NotFound);
      if (table.recordGeneration(existing) !== ifGeneration) return this.#writeMeta(Status.GenerationMismatch, existing);
    }
    const recordBytes = recordHeaderBytes + keyLength + contentTypeLength + valueLength;
    const slotBytes = classSizes[classOf(recordBytes)]!;
    const growthBytes = slotBytes - (existing === 0 ? 0 : table.recordSlotBytes(existing));
    if (table.namespaceBytes(namespaceId) + growthBytes > namespace.budgetBytes) {
      if (!namespace.evicts || !this.#evictFor(namespaceId, growthBytes, namespace.budgetBytes, slot)) {
        return results.writeStatus(Status.OutOfMemory);
      }
      if (existing === 0) table.find(namespaceId, bytes, keyStart, keyLength, hash);
    }
    if (!this.#journal.hasRoomFor(keyLength, contentTypeLength, valueLength)) return results.writeStatus(Status.Busy);
    const offset = table.allocate(recordBytes);
    if (offset === 0) return results.writeStatus(Status.OutOfMemory);
    // allocate may have grown the buffer: the slot and record offsets stay valid (nothing moves).
    const fields = this.#fields;
    fields.kind = EntryKind.Put;
    fields.namespaceId = namespaceId;
    fields.generation = existing === 0 ? 1 : (table.recordGeneration(existing) % 0xffffffff) + 1;
    fields.expiry = this.#expiryFor(view.getInt32(position + opTtlByte, true), namespace);
    fields.lastModified = this.#nowMs;
    const contentTypeStart = keyStart + keyLength;
    const valueStart = contentTypeStart + contentTypeLength;
    table.writeRecord(offset, fields, bytes, this.#batchWords, keyStart, keyLength, contentTypeStart, contentTypeLength, valueStart, valueLength);
    this.#commit(fields, bytes, this.#batchWords, keyStart, keyLength, contentTypeStart, contentTypeLength, valueStart, valueLength);
    if (existing !== 0) this.#swapRecord(slot, existing, offset);
    else {
      table.insertAtFoundSlot(hash, offset);
      table.account(offset, 1);
    }
    table.journalApplied = this.#journal.head;
    results.write(Status.Ok, existing === 0 ? resultFlagCreated : 0, fields.generation, fields.expiry, fields.lastModified, bytes, this.#batchWords, contentTypeStart, contentTypeLength, 0, -1);
  }

  #delete(bytes: Uint8Array, view: DataView, position: number): void {
    const slot = this.#findLive(bytes, view, position);
    if (slot < 0) return this.#results.writeStatus(Status.NotFound);
    const record = this.table.slotRecord(slot);
    const ifGeneration = view.getUint32(position + opIfGenerationByte, true);
    if (ifGeneration !== 0 && this.table.recordGeneration(record) !== ifGeneration) {
      return this.#writeMeta(Status.GenerationMismatch, record);
    }
    if (!this.#journal.hasRoomFor(view.getUint16(position + opKeyLengthByte, true), 0, 0)) return this.#results.writeStatus(Status.Busy);
    this.#writeMeta(Status.Ok, record);
    this.#removeCommitted(slot, record, EntryKind.Delete);
  }

  #touch(bytes: Uint8Array, view: DataView, position: number): void {
    const table = this.table;
    const namespace = this.#namespaces[bytes[position + opNamespaceIdByte]!];
    if (namespace === undefined) return this.#results.writeStatus(Status.UnknownNamespace);
    const slot = this.#findLive(bytes, view, position);
    if (slot < 0) return this.#results.writeStatus(Status.NotFound);
    const record = table.slotRecord(slot);
    const keyLength = table.recordKeyLength(record);
    if (!this.#journal.hasRoomFor(keyLength, 0, 0)) return this.#results.writeStatus(Status.Busy);
    const fields = this.#fillFields(EntryKind.Touch, record);
    fields.expiry = this.#expiryFor(view.getInt32(position + opTtlByte, true), namespace);
    this.#commit(fields, table.u8, table.u32, table.recordKeyStart(record), keyLength, 0, 0, 0, 0);
    table.setExpiry(record, fields.expiry);
    table.journalApplied = this.#journal.head;
    this.#writeMeta(Status.Ok, record);
  }

  #writeMeta(status: Status, record: number): void {
    const table = this.table;
    this.#results.write(
      status, 0, table.recordGeneration(record), table.recordExpiry(record), table.recordLastModified(record),
      table.u8, table.u32, table.recordContentTypeStart(record), table.recordContentTypeLength(record), 0, -1,
    );
  }

  // ---- changes ----

  #fillFields(kind: EntryKind, record: number): RecordFields & JournalFields {
    const table = this.table;
    const fields = this.#fields;
    fields.kind = kind;
    fields.namespaceId = table.recordNamespaceId(record);
    fields.generation = table.recordGeneration(record);
    fields.expiry = table.recordExpiry(record);
    fields.lastModified = table.recordLastModified(record);
    return fields;
  }

  /** Appends the change: from here on it is committed (and replayed if this thread dies). */
  #commit(
    fields: JournalFields, source: Uint8Array, source32: Uint32Array, keyStart: number, keyLength: number,
    contentTypeStart: number, contentTypeLength: number, valueStart: number, valueLength: number,
  ): void {
    this.#journal.append(fields, source, source32, keyStart, keyLength, contentTypeStart, contentTypeLength, valueStart, valueLength);
    if (this.#crashAfterNextAppend) process.exit(70);
  }

  /** Commits a removal (delete, expired, evicted) and applies it. The caller checked journal room. */
  #removeCommitted(slot: number, record: number, kind: EntryKind): void {
    const table = this.table;
    this.#commit(this.#fillFields(kind, record), table.u8, table.u32, table.recordKeyStart(record), table.recordKeyLength(record), 0, 0, 0, 0);
    this.#unlink(slot, record);
    table.journalApplied = this.#journal.head;
  }

  #unlink(slot: number, record: number): void {
    const table = this.table;
    table.removeAt(slot);
    table.account(record, -1);
    table.free(record, table.recordSlotBytes(record));
  }

  #swapRecord(slot: number, previous: number, next: number): void {
    const table = this.table;
    table.replaceAt(slot, next);
    table.account(previous, -1);
    table.account(next, 1);
    table.free(previous, table.recordSlotBytes(previous));
  }

  /** Evicts sampled least-recently-used records of the namespace until `growthBytes` fit. */
  #evictFor(namespaceId: number, growthBytes: number, budgetBytes: number, protectedSlot: number): boolean {
    const table = this.table;
    for (let rounds = 0; table.namespaceBytes(namespaceId) + growthBytes > budgetBytes; rounds++) {
      if (rounds > 1_000_000) throw new Error('eviction invariant: no progress');
      const victim = this.#sampleVictim(namespaceId, protectedSlot);
      if (victim < 0) return false;
      const record = table.slotRecord(victim);
      if (!this.#journal.hasRoomFor(table.recordKeyLength(record), 0, 0)) return false;
      this.#removeCommitted(victim, record, EntryKind.Evicted);
    }
    return true;
  }

  #sampleVictim(namespaceId: number, protectedSlot: number): number {
    const table = this.table;
    const capacity = table.indexCapacity;
    const clock = table.nextAccessStamp();
    let best = -1;
    let bestAge = -1;
    for (let sample = 0; sample < evictionSamples; sample++) {
      let slot = Math.floor(Math.random() * capacity);
      for (let probe = 0; probe < evictionProbeSlots; probe++, slot = (slot + 1) & (capacity - 1)) {
        const record = table.slotRecord(slot);
        if (record <= 8 || slot === protectedSlot || table.recordNamespaceId(record) !== namespaceId) continue;
        const age = (clock - table.recordLruStamp(record)) >>> 0;
        if (age > bestAge) {
          best = slot;
          bestAge = age;
        }
        break;
      }
    }
    if (best >= 0 || table.namespaceRecords(namespaceId) === 0) return best;
    // Sparse namespace: sampling missed; walk the index for any record of it.
    for (let slot = 0; slot < capacity; slot++) {
      const record = table.slotRecord(slot);
      if (record > 8 && slot !== protectedSlot && table.recordNamespaceId(record) === namespaceId) return slot;
    }
    return -1;
  }

  /** Examines `slots` index slots from the sweep cursor, removing expired records. */
  #sweep(slots: number): void {
    const table = this.table;
    const capacity = table.indexCapacity;
    const header = table.header;
    let slot = header[headerWordSweepCursor]! & (capacity - 1);
    let removed = 0;
    for (let examined = 0; examined < Math.min(slots, capacity); examined++) {
      const record = table.slotRecord(slot);
      if (record > 8 && this.#isExpired(record)) {
        if (!this.#journal.hasRoomFor(table.recordKeyLength(record), 0, 0)) break;
        this.#removeCommitted(slot, record, EntryKind.Expired);
        // removeAt may have emptied this slot and shifted nothing: carry on from the next one.
        removed++;
      }
      slot = (slot + 1) & (capacity - 1);
    }
    header[headerWordSweepCursor] = slot;
    this.#results.write(Status.Ok, 0, removed, 0, 0, null, null, 0, 0, 0, -1);
  }

  #testCrash(mode: number): void {
    if (mode === testCrashExitNow) process.exit(70);
    if (mode === testCrashExitAfterNextJournalAppend) this.#crashAfterNextAppend = true;
    if (mode === testCrashThrowUncaught) {
      queueMicrotask(() => {
        throw new Error('test crash: uncaught exception in a shard thread');
      });
    }
    this.#results.writeStatus(Status.Ok);
  }

  // ---- scan ----

  /**
   * One slice of a scan: records of the namespace whose key starts with the prefix and whose
   * (hash, key) follows the after-position, in (hash, key) order. Slots are visited in home order,
   * which is hash order, from the after-hash's home slot on; the slice ends at `reachedHash` (every
   * matching record with hash <= reachedHash is in this answer) unless cut by limit or bytes.
   */
  #scan(bytes: Uint8Array, view: DataView, position: number): void {
    const table = this.table;
    const namespaceId = bytes[position + opNamespaceIdByte]!;
    const prefixLength = view.getUint16(position + opKeyLengthByte, true);
    const prefixStart = position + opHeaderBytes;
    const limit = view.getUint32(position + opIfGenerationByte, true);
    const flags = view.getInt32(position + opTtlByte, true);
    const afterHash = view.getUint32(position + opHashByte, true);
    const afterKeyLength = view.getUint32(position + opValueLengthByte, true);
    const afterKeyStart = prefixStart + prefixLength;
    const hasAfter = (flags & scanFlagHasAfter) !== 0;
    const afterWholeHash = (flags & scanFlagAfterWholeHash) !== 0;
    const log2 = Math.log2(table.indexCapacity);
    const mask = table.indexCapacity - 1;
    const lowHash = hasAfter ? afterHash : 0;
    const firstSlot = lowHash >>> (32 - log2);
    const lastSlot = Math.min(mask, firstSlot + scanSlotsPerSlice - 1);
    const reachedHash = lastSlot === mask ? 0xffffffff : ((((lastSlot + 1) * 2 ** (32 - log2)) - 1) >>> 0);
    const candidates: number[] = [];
    const u8 = table.u8;
    // Records displaced by probing sit after their home slot, up to the next empty slot.
    let slot = firstSlot;
    for (let visited = 0; visited <= mask; visited++, slot = (slot + 1) & mask) {
      const record = table.slotRecord(slot);
      if (record === 0 && (slot > lastSlot || slot < firstSlot)) break;
      if (record <= 8) continue;
      const hash = table.slotHash(slot);
      if (hash < lowHash || hash > reachedHash) continue;
      if (table.recordNamespaceId(record) !== namespaceId || this.#isExpired(record)) continue;
      const keyLength = table.recordKeyLength(record);
      if (keyLength < prefixLength) continue;
      const keyStart = table.recordKeyStart(record);
      let matches = true;
      for (let i = 0; i < prefixLength; i++) if (u8[keyStart + i] !== bytes[prefixStart + i]) { matches = false; break; }
      if (!matches) continue;
      if (hasAfter && hash === afterHash) {
        if (afterWholeHash) continue;
        if (compareBytes(u8, keyStart, keyLength, bytes, afterKeyStart, afterKeyLength) <= 0) continue;
      }
      candidates.push(slot);
    }
    candidates.sort((a, b) => {
      const hashA = table.slotHash(a);
      const hashB = table.slotHash(b);
      if (hashA !== hashB) return hashA - hashB;
      const recordA = table.slotRecord(a);
      const recordB = table.slotRecord(b);
      return compareBytes(u8, table.recordKeyStart(recordA), table.recordKeyLength(recordA), u8, table.recordKeyStart(recordB), table.recordKeyLength(recordB));
    });
    const withValues = (flags & scanFlagValues) !== 0;
    const results = this.#results;
    const start = results.beginScan();
    let count = 0;
    let sliceBytes = 0;
    for (const candidate of candidates) {
      const record = table.slotRecord(candidate);
      const recordBytes = table.recordKeyLength(record) + (withValues ? table.recordValueLength(record) : 0);
      if (count === limit || (count > 0 && sliceBytes + recordBytes > scanSliceBytesMax)) break;
      results.writeScanRecord(
        table.slotHash(candidate), table.recordGeneration(record), table.recordExpiry(record), table.recordLastModified(record),
        u8, table.recordKeyStart(record), table.recordKeyLength(record),
        table.recordContentTypeStart(record), table.recordContentTypeLength(record),
        table.recordValueStart(record), withValues ? table.recordValueLength(record) : -1,
      );
      sliceBytes += recordBytes;
      count++;
    }
    results.finishScan(start, count < candidates.length ? scanResultFlagCut : 0, count, reachedHash);
  }
}

export function compareBytes(a: Uint8Array, aStart: number, aLength: number, b: Uint8Array, bStart: number, bLength: number): number {
  const length = Math.min(aLength, bLength);
  for (let i = 0; i < length; i++) {
    const difference = a[aStart + i]! - b[bStart + i]!;
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}

