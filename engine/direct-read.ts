// The read fast path (DESIGN "Direct reads"): the main thread reads a record straight from a
// shard's shared table, with no thread hop, and falls back to the owner-routed read whenever it
// cannot prove what it read was one consistent record.
//
// Protocol, per read (the shard's write-side rules are in shard-table.ts):
//   0. the table must reflect every committed change: journalApplied == journal head. Otherwise a
//      shard died between a journal append and its index swap (the change may already be in the
//      change log) or is mid-op: fall back, and the owner answers after its replay.
//   1. index epoch e1 (Atomics.load); odd = a rehash is publishing: fall back.
//   2. probe the published region for (namespace, key); a miss answers NotFound.
//   3. record version v1 (Atomics.load); odd = being written: fall back.
//   4. read the fields, compare the key, copy the value into a scratch buffer.
//   5. v2 and e2 (Atomics.load); v2 != v1 (the slot was freed or rewritten) or e2 != e1: fall back.
// An expired record falls back too, so the owner removes it and logs `expired`.
// The one store a direct read makes is the record's LRU stamp in cache namespaces: an advisory
// hint only the owner's eviction sampling reads, so a lost or stale store is harmless.

import { resultFlagHasValue } from './batch/batch-layout';
import { controlSlotClockOverrideMs } from './control-layout';
import { copyBytes } from './copy-bytes';
import { journalControlBytes, journalWordHead } from './journal/journal-layout';
import type { ResultView } from './result-sink';
import { Status } from './status';
import { ShardTable } from './table/shard-table';
import {
  headerBytes,
  headerWordAccessClock,
  headerWordIndexEpoch,
  headerWordIndexLog2Capacity,
  headerWordIndexOffset8,
  headerWordJournalApplied,
  indexSlotDeleted,
  indexSlotEmpty,
  recordContentTypeLengthByte,
  recordExpiryByte,
  recordGenerationByte,
  recordHeaderBytes,
  recordKeyLengthByte,
  recordLastModifiedByte,
  recordLruStampByte,
  recordNamespaceIdByte,
  recordValueLengthByte,
} from './table/table-layout';

export const enum DirectOutcome {
  Hit = 1,
  Miss = 0,
  FallBack = -1,
}

const decoder = new TextDecoder();

export class DirectRead implements ResultView {
  readonly #table: ShardTable;
  readonly #header: Uint32Array;
  readonly #clock: Float64Array;
  readonly #journalControl: Int32Array;
  #scratch = new Uint8Array(64 * 1024);
  status = Status.Ok;
  flags = 0;
  generation = 0;
  expiry = 0;
  lastModified = 0;
  #contentTypeLength = 0;
  #valueLength = 0;
  hasValue = false;
  reads = 0;
  fallbacks = 0;

  constructor(tableBuffer: SharedArrayBuffer, journalBuffer: SharedArrayBuffer, controlBuffer: SharedArrayBuffer) {
    this.#table = new ShardTable(tableBuffer);
    this.#journalControl = new Int32Array(journalBuffer, 0, journalControlBytes / 4);
    this.#header = this.#table.header;
    this.#clock = new Float64Array(controlBuffer);
  }

  /**
   * Reads (namespace, key) from the table. Hit: this object holds the result until the next call.
   * Miss: the key is absent (answer NotFound). FallBack: send the read to the owner.
   */
  read(namespaceId: number, keySource: Uint8Array, keyStart: number, keyLength: number, hash: number, withValue: boolean, valueBytesMax: number, refreshLru: boolean): DirectOutcome {
    const outcome = this.#read(namespaceId, keySource, keyStart, keyLength, hash, withValue, valueBytesMax, refreshLru);
    if (outcome === DirectOutcome.FallBack) this.fallbacks++;
    else this.reads++;
    return outcome;
  }

  #read(namespaceId: number, keySource: Uint8Array, keyStart: number, keyLength: number, hash: number, withValue: boolean, valueBytesMax: number, refreshLru: boolean): DirectOutcome {
    const header = this.#header;
    if ((Atomics.load(this.#journalControl, journalWordHead) >>> 0) !== Atomics.load(header, headerWordJournalApplied)) return DirectOutcome.FallBack;
    const epoch = Atomics.load(header, headerWordIndexEpoch);
    if ((epoch & 1) !== 0) return DirectOutcome.FallBack;
    const log2 = Atomics.load(header, headerWordIndexLog2Capacity);
    const base = Atomics.load(header, headerWordIndexOffset8) * 2;
    const table = this.#table;
    // The shard may have grown the buffer: views are fixed-length (see shard-table.ts), so re-make
    // them when its length moved; offsets past them after that are not a record's.
    table.refreshViews();
    const u32 = table.u32;
    const u8 = table.u8;
    if ((base + (2 ** log2) * 2) * 4 > u8.length) return DirectOutcome.FallBack;
    const mask = 2 ** log2 - 1;
    let slot = hash >>> (32 - log2);
    let record = 0;
    for (let probes = 0; probes <= mask; probes++, slot = (slot + 1) & mask) {
      const entry = Atomics.load(u32, base + slot * 2 + 1);
      if (entry === indexSlotEmpty) break;
      if (entry === indexSlotDeleted || u32[base + slot * 2] !== hash) continue;
      const candidate = entry * 8;
      if (candidate < headerBytes || candidate + recordHeaderBytes + keyLength > u8.length) return DirectOutcome.FallBack;
      if (u8[candidate + recordNamespaceIdByte] !== namespaceId) continue;
      if ((u8[candidate + recordKeyLengthByte]! | (u8[candidate + recordKeyLengthByte + 1]! << 8)) !== keyLength) continue;
      let same = true;
      const recordKey = candidate + recordHeaderBytes;
      for (let i = 0; i < keyLength; i++) {
        if (u8[recordKey + i] !== keySource[keyStart + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        record = candidate;
        break;
      }
    }
    if (record === 0) return Atomics.load(header, headerWordIndexEpoch) === epoch ? DirectOutcome.Miss : DirectOutcome.FallBack;
    const version = Atomics.load(u32, record >>> 2);
    if ((version & 1) !== 0) return DirectOutcome.FallBack;
    const expiry = u32[(record + recordExpiryByte) >>> 2]!;
    const override = this.#clock[controlSlotClockOverrideMs]!;
    const nowSec = Math.floor((override > 0 ? override : Date.now()) / 1000);
    if (expiry !== 0 && expiry <= nowSec) return DirectOutcome.FallBack;
    const contentTypeLength = u8[record + recordContentTypeLengthByte]!;
    const valueLength = u32[(record + recordValueLengthByte) >>> 2]!;
    if (valueLength > valueBytesMax) return DirectOutcome.FallBack;
    const copied = contentTypeLength + (withValue ? valueLength : 0);
    if (recordHeaderBytes + keyLength + copied + record > u8.length) return DirectOutcome.FallBack;
    if (copied > this.#scratch.length) this.#scratch = new Uint8Array(Math.max(copied, this.#scratch.length * 2));
    const scratch = this.#scratch;
    const from = record + recordHeaderBytes + keyLength;
    copyBytes(u8, from, scratch, 0, copied);
    this.generation = u32[(record + recordGenerationByte) >>> 2]!;
    this.expiry = expiry;
    this.lastModified = table.f64[(record + recordLastModifiedByte) >>> 3]!;
    if (Atomics.load(u32, record >>> 2) !== version || Atomics.load(header, headerWordIndexEpoch) !== epoch) return DirectOutcome.FallBack;
    if (refreshLru) Atomics.store(u32, (record + recordLruStampByte) >>> 2, header[headerWordAccessClock]!);
    this.status = Status.Ok;
    this.#contentTypeLength = contentTypeLength;
    this.#valueLength = valueLength;
    this.hasValue = withValue;
    this.flags = withValue ? resultFlagHasValue : 0;
    return DirectOutcome.Hit;
  }

  /** Allocates: the content type as a string. */
  contentType(): string {
    return this.#contentTypeLength === 0 ? '' : decoder.decode(this.#scratch.subarray(0, this.#contentTypeLength));
  }

  /** Allocates: a copy of the value, or null for a head. */
  value(): Uint8Array | null {
    return this.hasValue ? this.#scratch.slice(this.#contentTypeLength, this.#contentTypeLength + this.#valueLength) : null;
  }

  valueView(): Uint8Array {
    return this.#scratch.subarray(this.#contentTypeLength, this.#contentTypeLength + this.#valueLength);
  }
}
