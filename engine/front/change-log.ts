// The node-wide ordered change log: a bounded window of the newest changes, in LSN order.
// Consumers (subscriptions, later the WAL and replication) read it by LSN or listen to it live.
//
//   entries: [ oldest ... newest ]   capacity C, power of two, indexed by lsn & (C - 1)
//            lsn = oldestLsn ... lastLsn; a new change overwrites the oldest once full.
// The window is bounded twice: by entry count and by the bytes of keys and values it retains
// (values can be megabytes), dropping the oldest entries first.
// The changes are retained as bytes (change-pages.ts), not as objects: a listener gets the Change
// object itself, valid for the call (copy what you keep); readFrom decodes standalone copies.

import { assert, fail } from '../layout/assert';
import type { ChangeListener, ChangeLogApi } from './engine-api';
import type { Change, ChangeGap } from '../layout/types';
import { ChangePages } from './change-pages';
import type { WalRecordView } from '../layout/wal-record';
import type { GrowableBytes } from '../layout/growable-bytes';

export class ChangeLog implements ChangeLogApi {
  readonly #pages: ChangePages;
  /** Per slot: the key and value bytes of the change held there (for the byte bound). */
  readonly #slotBytes: Float64Array;
  readonly #mask: number;
  readonly #listeners = new Set<ChangeListener>();
  readonly #bytesMax: number;
  #bytes = 0;
  #lastLsn = 0;
  #oldestLsn = 1;

  constructor(capacity: number, bytesMax: number = Number.MAX_SAFE_INTEGER) {
    if (!Number.isInteger(capacity) || capacity < 1 || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError(`change log capacity must be a power of two, got ${capacity}`);
    }
    this.#pages = new ChangePages(capacity);
    this.#slotBytes = new Float64Array(capacity);
    this.#mask = capacity - 1;
    this.#bytesMax = bytesMax;
  }

  get lastLsn(): number {
    return this.#lastLsn;
  }

  get oldestLsn(): number {
    return this.#oldestLsn;
  }

  get capacity(): number {
    return this.#mask + 1;
  }

  /** Pages the retained changes have needed so far (change-pages.ts). */
  get pagesAllocated(): number {
    return this.#pages.pagesAllocated;
  }

  /** Bytes of keys and values currently retained. */
  get retainedBytes(): number {
    return this.#bytes;
  }

  /**
   * Recovery: the log continues a history whose changes up to `lsn` are in a snapshot, not here.
   * Only on an empty log; afterwards the first change appended gets lsn + 1.
   */
  startAt(lsn: number): void {
    assert(this.#lastLsn === 0 && this.#oldestLsn === 1, 'change log: startAt on a log that holds changes');
    assert(Number.isSafeInteger(lsn) && lsn >= 0, 'change log: startAt needs an LSN');
    this.#lastLsn = lsn;
    this.#oldestLsn = lsn + 1;
  }

  /**
   * Recovery: LSNs up to `lsn` were given out by a previous run that logged no change for them
   * (the WAL's last segment names its first LSN before any record). Drops what the window holds,
   * so readFrom() answers a Gap for anything older rather than skip LSNs silently.
   */
  skipTo(lsn: number): void {
    assert(lsn >= this.#lastLsn, 'change log: skipTo must not go back');
    while (this.#oldestLsn <= this.#lastLsn) this.#dropOldest();
    this.#lastLsn = lsn;
    this.#oldestLsn = lsn + 1;
  }

  /**
   * Replication full sync (front/replication-apply.ts): this node now continues another history
   * at `lsn`. Drops the whole window (a reader asking for anything older gets a Gap); LSNs may go
   * back, so only the full sync, which has replaced the history, may call it.
   */
  resetTo(lsn: number): void {
    assert(Number.isSafeInteger(lsn) && lsn >= 0, 'change log: resetTo needs an LSN');
    while (this.#oldestLsn <= this.#lastLsn) this.#dropOldest();
    this.#lastLsn = lsn;
    this.#oldestLsn = lsn + 1;
  }

  /** Gives the change the next LSN, retains it and tells every listener. Returns the LSN. */
  append(change: Omit<Change, 'lsn'> | Change): number {
    const lsn = this.#lastLsn + 1;
    const entry = change as Change;
    entry.lsn = lsn;
    const slot = this.#freeSlotFor(lsn);
    this.#pages.store(slot, entry);
    this.#retained(slot, lsn, changeBytes(entry));
    for (const listener of this.#listeners) listener(entry);
    return lsn;
  }

  /**
   * Recovery: keeps a WAL record as it was read (the log's own format), without decoding it into
   * a Change and encoding it again. Its LSN must be the next one. Listeners (a server's
   * subscription hub listens from its start) get it decoded, valid for the call as append's are.
   */
  appendRecord(record: WalRecordView): number {
    const lsn = this.#lastLsn + 1;
    assert(record.lsn === lsn, `change log: record LSN ${record.lsn} where ${lsn} comes next`);
    const slot = this.#freeSlotFor(lsn);
    this.#pages.storeRecord(slot, record.bytes, record.start, record.recordBytes);
    this.#retained(slot, lsn, record.keyBytes + (record.hasValue ? record.valueBytes : 0));
    if (this.#listeners.size > 0) {
      const change = record.toChange(false);
      for (const listener of this.#listeners) listener(change);
    }
    return lsn;
  }

  /**
   * Appends the record of `lsn` (held) to `target` in the WAL's format, crc left for the log writer
   * to seal: the WAL takes the bytes this log encoded instead of encoding the change a second time.
   */
  copyRecord(lsn: number, target: GrowableBytes): number {
    assert(lsn >= this.#oldestLsn && lsn <= this.#lastLsn, `change log: copyRecord of ${lsn}, not held`);
    return this.#pages.copyRecord(lsn & this.#mask, target);
  }

  /** The slot of the next LSN, made free by dropping the oldest change when the window is full. */
  #freeSlotFor(lsn: number): number {
    if (lsn - this.#oldestLsn > this.#mask) this.#dropOldest();
    return lsn & this.#mask;
  }

  /** The change stored at `slot` is now the newest; the byte bound drops the oldest past it. */
  #retained(slot: number, lsn: number, bytes: number): void {
    this.#slotBytes[slot] = bytes;
    this.#lastLsn = lsn;
    this.#bytes += bytes;
    while (this.#bytes > this.#bytesMax && this.#oldestLsn < lsn) this.#dropOldest();
  }

  #dropOldest(): void {
    assert(this.#oldestLsn <= this.#lastLsn, 'change log: drop from an empty window');
    const slot = this.#oldestLsn & this.#mask;
    this.#pages.release(slot);
    this.#bytes -= this.#slotBytes[slot] as number;
    this.#oldestLsn++;
  }

  readFrom(afterLsn: number, maxChanges: number = Number.MAX_SAFE_INTEGER): Change[] | ChangeGap {
    if (afterLsn + 1 < this.#oldestLsn) return { gap: true, oldestLsn: this.#oldestLsn };
    const result: Change[] = [];
    const lastLsn = Math.min(this.#lastLsn, afterLsn + maxChanges);
    for (let lsn = Math.max(afterLsn + 1, this.#oldestLsn); lsn <= lastLsn; lsn++) {
      const entry = this.#pages.read(lsn & this.#mask);
      if (entry.lsn !== lsn) fail(`change log invariant: lsn ${lsn} holds ${entry.lsn}`);
      result.push(entry);
    }
    return result;
  }

  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

/** Bytes of key and value; a change that knows its size says so without making views. */
function changeBytes(change: Change & { byteLength?: number }): number {
  return change.byteLength ?? change.key.byteLength + (change.value === null ? 0 : change.value.byteLength);
}
