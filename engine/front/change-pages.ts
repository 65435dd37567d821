// Where the change log keeps the changes it retains: each one encoded once as a WAL record
// (layout/wal-record.ts, crc left 0) into 1 MiB pages that are reused, not as a Change object per
// LSN. Retaining 65,536 Change objects with their key and value arrays (up to 256 MiB under 4 KiB
// values) kept every write alive into V8's old space and its backing store in V8's external memory:
// under cms load (50 % puts of 4 KiB) the front thread ran a Mark-Compact about every 250 ms,
// started by "external memory pressure" (node --trace-gc: 23 Mark-Compacts in 12 s against 3 with a
// 1,024-change window), and major-GC marking was ~10 % of the server's CPU samples. Bytes in a few
// long-lived pages cost the GC nothing per change; a change is decoded again (a copy) only when a
// reader asks for it by LSN (a resuming subscriber, a replica catching up from memory).
//
//   slot = lsn & mask ──► page, start       page: [ record | record | ... | free ]
//   a page goes back to the pool when its last live record is released and it is not the one
//   being filled; a record larger than a page gets a page of its own (not pooled).

import { assert } from '../layout/assert';
import { GrowableBytes } from '../layout/growable-bytes';
import type { Change } from '../layout/types';
import { encodeWalRecord, WalRecordView } from '../layout/wal-record';

/** Bytes per pooled page: many records per page, few pages per window. */
export const changePageBytes = 1 << 20;
/** Free pages kept for reuse; past it a released page is left to the GC. */
const freePagesMax = 4;

class Page {
  readonly bytes: Uint8Array;
  /** Bytes written from the start. */
  used = 0;
  /** Records stored here and not yet released. */
  live = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }
}

export class ChangePages {
  readonly #slotPage: (Page | undefined)[];
  readonly #slotStart: Int32Array;
  readonly #scratch = new GrowableBytes(64 * 1024);
  readonly #view = new WalRecordView();
  readonly #free: Page[] = [];
  #current: Page | null = null;
  #pagesAllocated = 0;

  constructor(slots: number) {
    this.#slotPage = new Array<Page | undefined>(slots).fill(undefined);
    this.#slotStart = new Int32Array(slots);
  }

  /** Encodes the change (its lsn set) into a page and remembers it at `slot`, which must be free. */
  store(slot: number, change: Change): void {
    const scratch = this.#scratch;
    scratch.length = 0;
    const length = encodeWalRecord(scratch, change);
    this.storeRecord(slot, scratch.u8, 0, length);
  }

  /** Keeps an already encoded record (a WAL record read at recovery: same format) at `slot`. */
  storeRecord(slot: number, bytes: Uint8Array, start: number, length: number): void {
    assert(this.#slotPage[slot] === undefined, 'change pages: store into a slot still held');
    assert(length % 8 === 0 && start + length <= bytes.length, 'change pages: a whole 8-aligned record');
    const page = this.#pageFor(length);
    page.bytes.set(bytes.subarray(start, start + length), page.used);
    this.#slotPage[slot] = page;
    this.#slotStart[slot] = page.used;
    page.used += length;
    page.live++;
  }

  /** Appends the record held at `slot` to `target`, as stored (crc 0 unless it came from a file). Returns its length. */
  copyRecord(slot: number, target: GrowableBytes): number {
    const page = this.#slotPage[slot];
    assert(page !== undefined, 'change pages: copy of a slot not held');
    const view = this.#view;
    const start = this.#slotStart[slot] as number;
    view.pointAtOwn(page.bytes, start);
    const length = view.recordBytes;
    target.reserve(length);
    target.u8.set(page.bytes.subarray(start, start + length), target.length);
    target.length += length;
    return length;
  }

  /** Forgets the change at `slot`; its page is reused once nothing on it is held. */
  release(slot: number): void {
    const page = this.#slotPage[slot];
    assert(page !== undefined && page.live > 0, 'change pages: release of a slot not held');
    this.#slotPage[slot] = undefined;
    if (--page.live === 0 && page !== this.#current) this.#recycle(page);
  }

  /** The change at `slot`, decoded into a standalone Change (its own copies of key, value, tags). */
  read(slot: number): Change {
    const page = this.#slotPage[slot];
    assert(page !== undefined, 'change pages: read of a slot not held');
    const view = this.#view;
    view.pointAtOwn(page.bytes, this.#slotStart[slot] as number);
    return view.toChange(true);
  }

  #pageFor(length: number): Page {
    const current = this.#current;
    if (current !== null && current.used + length <= current.bytes.length) return current;
    if (current !== null && current.live === 0) {
      // Nothing on the full page is held any more: start it over rather than take another.
      current.used = 0;
      if (length <= current.bytes.length) return current;
      this.#recycle(current);
    }
    const page = (length <= changePageBytes ? this.#free.pop() : undefined) ?? this.#allocate(Math.max(length, changePageBytes));
    assert(page.live === 0, 'change pages: a fresh page holds nothing');
    page.used = 0;
    this.#current = page;
    return page;
  }

  /** Pages made so far (reused ones are not counted again). */
  get pagesAllocated(): number {
    return this.#pagesAllocated;
  }

  #allocate(size: number): Page {
    this.#pagesAllocated++;
    return new Page(size);
  }

  #recycle(page: Page): void {
    if (page === this.#current) this.#current = null;
    if (page.bytes.length === changePageBytes && this.#free.length < freePagesMax) this.#free.push(page);
  }
}
