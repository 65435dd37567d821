// The read fast path (DESIGN "Direct reads"): the main thread reads a record straight from a
// shard's shared table, with no thread hop, and falls back to the owner-routed read whenever it
// cannot prove what it read was one consistent record. It holds a TableReader only: the main
// thread never writes a table.
//
// Protocol, per read (the shard's write-side rules are in shard/shard-table.ts):
//   0. the table must reflect every committed change: journalApplied == journal head. Otherwise a
//      shard died between a journal append and its index swap (the change may already be in the
//      change log) or is mid-op: fall back, and the owner answers after its replay.
//   1. probe (TableReader.probe): index epoch e1 (odd = a rehash is publishing: fall back), then
//      the published region for (namespace, key); a miss answers NotFound if e1 still holds.
//   2. record version v1 (Atomics.load); odd = being written: fall back.
//   3. read the fields and copy content type and value into a scratch buffer.
//   4. v2 and e2 (Atomics.load); v2 != v1 (the slot was freed or rewritten) or e2 != e1: fall back.
// An expired record falls back too, so the owner removes it and logs `expired`.
// Range checks compare one racy load with a bound that cannot move under the reader (a view's
// length, a namespace limit, a field's width), never two racy loads with each other: a torn pair
// could pass such a check, and the seqlock catches the tear only after the copy.
// The one store a direct read makes is the record's LRU stamp in cache namespaces: an advisory
// hint only the owner's eviction sampling reads, so a lost or stale store is harmless.

import { doubleAt, wordAt } from '../layout/words';
import { assert } from '../layout/assert';
import { Opcode, resultFlagHasValue } from '../layout/batch-layout';
import { controlSlotClockOverrideMs } from '../layout/control-layout';
import { copyBytes } from '../layout/copy-bytes';
import { journalControlBytes, journalWordHead } from '../layout/journal-layout';
import { contentTypeBytesMax } from '../layout/limits';
import { Status } from '../layout/status';
import {
  headerWordAccessClock,
  headerWordJournalApplied,
  recordContentTypeLengthByte,
  recordExpiryByte,
  recordGenerationByte,
  recordHeaderBytes,
  recordLastModifiedByte,
  recordLruStampByte,
  recordValueLengthByte,
} from '../layout/table-layout';
import { probeMiss, probeRetry, TableReader } from '../layout/table-reader';
import type { NamespaceConfig } from '../layout/types';
import type { OpRequest } from './op-request';
import type { ShardOptions } from '../layout/shard-options';
import type { ResultView } from './result-sink';

export const enum DirectOutcome {
  Hit = 1,
  Miss = 0,
  FallBack = -1,
}

const decoder = new TextDecoder();
const scratchBytesInitial = 64 * 1024;

/** An engine's tables as another thread reads them (wire/server/io-threads/local-reads.ts). */
export interface DirectReadSources {
  shards: number;
  namespaces: readonly NamespaceConfig[];
  /** Per shard: its table, journal and control buffers (shared memory: a worker sees the same bytes). */
  shardOptions: readonly Pick<ShardOptions, 'tableBuffer' | 'journalBuffer' | 'controlBuffer'>[];
}

export class DirectRead implements ResultView {
  readonly #table: TableReader;
  readonly #header: Uint32Array;
  readonly #clock: Float64Array;
  readonly #journalControl: Int32Array;
  #scratch = new Uint8Array(scratchBytesInitial);
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

  constructor(table: TableReader, journalBuffer: SharedArrayBuffer, controlBuffer: SharedArrayBuffer) {
    this.#table = table;
    this.#journalControl = new Int32Array(journalBuffer, 0, journalControlBytes / 4);
    this.#header = table.header;
    this.#clock = new Float64Array(controlBuffer);
  }

  /**
   * Reads the request's (namespace, key) (a get or head) whose table hash is `hash`. Hit: this object
   * holds the result until the next call. Miss: the key is absent (answer NotFound). FallBack: send
   * the read to the owner.
   */
  read(request: OpRequest, hash: number, namespace: NamespaceConfig): DirectOutcome {
    assert(request.opcode === Opcode.Get || request.opcode === Opcode.Head, 'a direct read is a get or a head');
    const outcome = this.#read(request, hash, namespace);
    if (outcome === DirectOutcome.FallBack) this.fallbacks++;
    else this.reads++;
    return outcome;
  }

  #read(request: OpRequest, hash: number, namespace: NamespaceConfig): DirectOutcome {
    const header = this.#header;
    if ((Atomics.load(this.#journalControl, journalWordHead) >>> 0) !== Atomics.load(header, headerWordJournalApplied)) return DirectOutcome.FallBack;
    const table = this.#table;
    const slot = table.probe(request.namespaceId, request.keySource, request.keyStart, request.keyLength, hash);
    if (slot === probeRetry) return DirectOutcome.FallBack;
    const epoch = table.probeEpoch;
    if (slot === probeMiss) return table.indexEpoch === epoch ? DirectOutcome.Miss : DirectOutcome.FallBack;
    const record = table.probeRecord;
    const u32 = table.u32;
    const u8 = table.u8;
    const version = Atomics.load(u32, wordAt(record));
    if ((version & 1) !== 0) return DirectOutcome.FallBack;
    const expiry = u32[wordAt(record + recordExpiryByte)]!;
    const override = this.#clock[controlSlotClockOverrideMs]!;
    const nowSec = Math.floor((override > 0 ? override : Date.now()) / 1000);
    if (expiry !== 0 && expiry <= nowSec) return DirectOutcome.FallBack;
    const contentTypeLength = u8[record + recordContentTypeLengthByte]!;
    const valueLength = u32[wordAt(record + recordValueLengthByte)]!;
    // Each bound below is a constant or a view length: see the header comment.
    if (valueLength > namespace.maxValueBytes) return DirectOutcome.FallBack;
    const withValue = request.opcode === Opcode.Get;
    const copied = contentTypeLength + (withValue ? valueLength : 0);
    const from = record + recordHeaderBytes + request.keyLength;
    if (from + copied > u8.length) return DirectOutcome.FallBack;
    if (copied > this.#scratch.length) this.#scratch = new Uint8Array(Math.max(copied, this.#scratch.length * 2));
    copyBytes(u8, from, this.#scratch, 0, copied);
    this.generation = u32[wordAt(record + recordGenerationByte)]!;
    this.expiry = expiry;
    this.lastModified = table.f64[doubleAt(record + recordLastModifiedByte)]!;
    if (Atomics.load(u32, wordAt(record)) !== version || table.indexEpoch !== epoch) return DirectOutcome.FallBack;
    // Stable now: what was read is one record, so its fields are within their widths.
    assert(contentTypeLength <= contentTypeBytesMax && valueLength <= namespace.maxValueBytes, 'direct read of a stable record out of range');
    if (namespace.mode === 'cache') Atomics.store(u32, wordAt(record + recordLruStampByte), header[headerWordAccessClock]!);
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
