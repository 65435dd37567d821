// What every part of a shard thread shares: its table, its journal, the results of the batch being
// run, the clock, and the commit sequence of invariant 3 (append to the journal, then change the
// index, then record the journal position as applied). The executor's parts (shard-executor.ts for
// key ops, shard-recovery.ts, shard-eviction.ts, shard-sweep.ts, shard-scan.ts) each hold this one
// object, so the sequence is written once.
//
// Vocabulary: a *change* is a journal entry (put, delete, touch, expired, evicted). To *commit*
// is to append it. To *apply* is to make the index reflect it; `journalApplied` in the table
// header is the journal position through which every entry is applied.

import { ByteRuns } from '../layout/byte-runs';
import { controlSlotClockOverrideMs, controlSlotFollower } from '../layout/control-layout';
import { exitCodeInternalError } from '../layout/exit-codes';
import { JournalEntryReader } from '../layout/journal-entry-reader';
import { EntryKind } from '../layout/journal-layout';
import { namespaceEvictionsDouble, namespaceExpirationsDouble } from '../layout/table-layout';
import type { ShardNamespaceOptions, ShardOptions } from '../layout/shard-options';
import { JournalWriter, type JournalFields } from './journal-writer';
import { ModificationStamps } from './modification-stamps';
import { ResultWriter } from './result-writer';
import { ShardTable, type RecordFields } from './shard-table';
import { TagIndex } from './tag-index';

export class ShardState {
  readonly table: ShardTable;
  /** Surrogate keys of this shard's records (tag-index.ts). */
  readonly tags: TagIndex;
  readonly journal: JournalWriter;
  readonly entries: JournalEntryReader;
  readonly results = new ResultWriter();
  readonly namespaces: readonly ShardNamespaceOptions[];
  readonly #clock: Float64Array;
  /** Reused to pass record and journal fields without allocating per op. */
  readonly fields: RecordFields & JournalFields = { kind: EntryKind.Put, namespaceId: 0, generation: 0, expiry: 0, lastModified: 0 };
  /** Reused to describe the key, content-type and value runs of the record or entry being written. */
  readonly runs = new ByteRuns();
  /** The lastModified of every record this shard writes: strictly increasing (modification-stamps.ts). */
  readonly stamps = new ModificationStamps();
  nowMs = 0;
  nowSec = 0;
  /** Test-only (Opcode.TestCrash): exit right after the next journal append. */
  crashAfterNextAppend = false;

  constructor(options: ShardOptions) {
    this.table = new ShardTable(options.tableBuffer);
    this.tags = new TagIndex(this.table);
    this.journal = new JournalWriter(options.journalBuffer);
    this.entries = new JournalEntryReader(options.journalBuffer);
    this.#clock = new Float64Array(options.controlBuffer);
    this.namespaces = options.namespaces;
  }

  /** A replica's shard: expired records are not removed on a read (layout/control-layout.ts, slot 1). */
  follower = false;

  /** Reads the clock (and the follower flag) once per batch: every op of a batch sees the same. */
  readClock(): void {
    this.follower = this.#clock[controlSlotFollower] === 1;
    const override = this.#clock[controlSlotClockOverrideMs]!;
    this.nowMs = override > 0 ? override : Date.now();
    this.nowSec = Math.floor(this.nowMs / 1000);
  }

  isExpired(record: number): boolean {
    const expiry = this.table.recordExpiry(record);
    return expiry !== 0 && expiry <= this.nowSec;
  }

  /** The expiry for a ttl from an op: -1 = the namespace default, 0 = never. */
  expiryFor(ttlSec: number, namespace: ShardNamespaceOptions): number {
    const seconds = ttlSec < 0 ? namespace.defaultTtlSec : ttlSec;
    return seconds === 0 ? 0 : this.nowSec + seconds;
  }

  /** The shared fields, filled from a linked record, for a change of `kind` to it. */
  fieldsOf(kind: EntryKind, record: number): RecordFields & JournalFields {
    const table = this.table;
    const fields = this.fields;
    fields.kind = kind;
    fields.namespaceId = table.recordNamespaceId(record);
    fields.generation = table.recordGeneration(record);
    fields.expiry = table.recordExpiry(record);
    fields.lastModified = table.recordLastModified(record);
    return fields;
  }

  /** The shared runs set to a linked record's key alone (what a removal or touch journals). */
  keyRunsOf(record: number): ByteRuns {
    const table = this.table;
    return this.runs.from(table.u8, table.u32).key(table.recordKeyStart(record), table.recordKeyLength(record));
  }

  /**
   * True when the journal has room for a key-only change (removal, touch) of this record, with the
   * record's tag run (a removal journals it; a touch is counted as if it did, which only reserves more).
   */
  hasRoomForKeyChange(record: number): boolean {
    const table = this.table;
    const tagsLength = this.tags.tagRunLengthOf(table.recordNamespaceId(record), table.u8, table.recordKeyStart(record), table.recordKeyLength(record));
    return this.journal.hasRoomFor(table.recordKeyLength(record), 0, 0, tagsLength);
  }

  /**
   * Appends the change: from here on it is committed (and replayed if this thread dies). `flags`
   * are entryFlag* bits: entryFlagReplayed for an apply op's change, which already has its LSN.
   */
  commit(fields: JournalFields, runs: ByteRuns, flags = 0): void {
    this.journal.append(fields, runs, flags);
    if (this.crashAfterNextAppend) process.exit(exitCodeInternalError);
  }

  /** The journal position through which the index now reflects every change. */
  markApplied(): void {
    this.table.journalApplied = this.journal.head;
  }

  /**
   * Invariant 3 for a put: the new record is written into its fresh slot (`fields` and `runs` as
   * filled by the caller), the change committed, then the index swapped from the existing record
   * (or linked at the insert position of the last find), then marked applied.
   */
  installRecord(offset: number, slot: number, existing: number, hash: number, flags: number): void {
    const table = this.table;
    table.writeRecord(offset, this.fields, this.runs);
    this.commit(this.fields, this.runs, flags);
    if (existing !== 0) table.swap(slot, existing, offset);
    else table.link(hash, offset);
    this.markApplied();
  }

  /**
   * Counts an eviction or an expiry of `record` in the table header, where /metrics reads it. Called
   * only where a record is evicted or expired, before its removal: nothing per op.
   */
  countRemoval(record: number, kind: EntryKind.Evicted | EntryKind.Expired): void {
    const table = this.table;
    const namespaceId = table.recordNamespaceId(record);
    const index = kind === EntryKind.Evicted ? namespaceEvictionsDouble(namespaceId) : namespaceExpirationsDouble(namespaceId);
    table.f64[index] = table.f64[index]! + 1;
  }

  /** Commits a removal (delete, expired, evicted) and applies it. The caller checked journal room. */
  removeCommitted(slot: number, record: number, kind: EntryKind, flags = 0): void {
    const table = this.table;
    const runs = this.keyRunsOf(record);
    // The removed record's tags go into the entry, so the change log tells tag subscribers which
    // records left (allocates the run, for tagged records only; an untagged namespace costs one load).
    const tagRun = this.tags.tagRunOf(table.recordNamespaceId(record), table.u8, table.recordKeyStart(record), table.recordKeyLength(record));
    if (tagRun !== null) {
      runs.tagsSource = tagRun;
      runs.tags(0, tagRun.length);
    }
    this.commit(this.fieldsOf(kind, record), runs, flags);
    // Before the unlink frees the slot: the key bytes are still the record's.
    this.tags.afterRemove(table.recordNamespaceId(record), table.u8, table.recordKeyStart(record), table.recordKeyLength(record));
    table.unlink(slot, record);
    this.markApplied();
  }
}
