// Main-thread consumer of a shard's journal: turns each committed entry into a Change, gives it
// the next node-wide LSN (invariant 4) and releases the ring space. Runs when a batch returns,
// before its results are delivered, so an acknowledged write is always already in the change log.

import { assert, fail } from '../layout/assert';
import type { ChangeLog } from './change-log';
import type { Change, ChangeKind } from '../layout/types';
import { entryFlagReplayed, EntryKind } from '../layout/journal-layout';
import { JournalEntryReader } from '../layout/journal-entry-reader';

const decoder = new TextDecoder();
const kinds: Record<number, ChangeKind> = {
  [EntryKind.Put]: 'put',
  [EntryKind.Delete]: 'delete',
  [EntryKind.Touch]: 'touch',
  [EntryKind.Expired]: 'expired',
  [EntryKind.Evicted]: 'evicted',
};

/**
 * The drained range's bytes: one buffer reused by every drain. A fresh ArrayBuffer per drain (40 MB/s
 * under cms's 4 KiB puts) kept V8's external memory growing and started a Mark-Compact every few
 * hundred ms. `epoch` counts drains, so a change kept past its drain is caught, not read torn.
 */
class DrainBuffer {
  bytes = new Uint8Array(64 * 1024);
  epoch = 0;
}

/**
 * A change read from the journal, valid while its drain runs: the change log's listeners are called
 * inside it, and a listener that keeps a change must copy it (the change log keeps its own bytes).
 * Its key and value are views of the drain buffer made on first read: most changes are never read
 * field by field (no subscriber on that key), and two views per change were a measurable part of
 * the write path.
 */
class DrainedChange implements Change {
  lsn = 0;
  readonly kind: ChangeKind;
  readonly ns: string;
  readonly generation: number;
  readonly expiry: number;
  readonly lastModified: number;
  readonly contentType: string;
  readonly #buffer: DrainBuffer;
  readonly #epoch: number;
  readonly #keyStart: number;
  readonly #keyLength: number;
  /** -1 when the change carries no value. */
  readonly #valueStart: number;
  readonly #valueLength: number;
  readonly #tagsLength: number;
  readonly #tagsStart: number;

  /**
   * The change of the entry `entry` points at; `buffer` holds the drained range, with this entry's
   * bytes `shift` bytes from where they sit in the ring's data area.
   */
  constructor(entry: JournalEntryReader, kind: ChangeKind, ns: string, contentType: string, buffer: DrainBuffer, shift: number) {
    this.kind = kind;
    this.ns = ns;
    this.generation = entry.generation;
    this.expiry = entry.expiry;
    this.lastModified = entry.lastModified;
    this.contentType = contentType;
    this.#buffer = buffer;
    this.#epoch = buffer.epoch;
    this.#keyStart = entry.keyStart + shift;
    this.#keyLength = entry.keyLength;
    this.#valueStart = kind === 'put' ? entry.valueStart + shift : -1;
    this.#valueLength = entry.valueLength;
    // A put's new tags, or a removal's: the tags the removed record had (a touch has none).
    this.#tagsLength = kind === 'touch' ? 0 : entry.tagsLength;
    this.#tagsStart = entry.tagsStart + shift;
  }

  /** The joined surrogate keys (a put's new ones, a removed record's), or null for none. */
  get tags(): Uint8Array | null {
    if (this.#tagsLength === 0) return null;
    return this.#bytes().subarray(this.#tagsStart, this.#tagsStart + this.#tagsLength);
  }

  get key(): Uint8Array {
    return this.#bytes().subarray(this.#keyStart, this.#keyStart + this.#keyLength);
  }

  get value(): Uint8Array | null {
    return this.#valueStart < 0 ? null : this.#bytes().subarray(this.#valueStart, this.#valueStart + this.#valueLength);
  }

  #bytes(): Uint8Array {
    if (this.#buffer.epoch !== this.#epoch) fail('a change is valid only while the change log calls its listeners: copy what you keep');
    return this.#buffer.bytes;
  }

  /** Bytes of key and value, without making views (the change log's byte bound uses it). */
  get byteLength(): number {
    return this.#keyLength + (this.#valueStart < 0 ? 0 : this.#valueLength);
  }
}

export class JournalDrain {
  readonly #entries: JournalEntryReader;
  readonly #changeLog: ChangeLog;
  readonly #namespaceNames: readonly string[];
  readonly #buffer = new DrainBuffer();
  #draining = false;

  constructor(journalBuffer: SharedArrayBuffer, changeLog: ChangeLog, namespaceNames: readonly string[]) {
    this.#entries = new JournalEntryReader(journalBuffer);
    this.#changeLog = changeLog;
    this.#namespaceNames = namespaceNames;
  }

  /**
   * Moves every committed entry into the change log. Returns how many. The drained range is copied
   * out of the ring once, into the reused drain buffer, and each change's key and value are views
   * of it: a slice per field would make two ArrayBuffer backing stores per change. Not re-entrant
   * (a listener that drained again would overwrite the buffer under this loop): asserted.
   */
  drain(): number {
    assert(!this.#draining, 'journal drain: drain() re-entered from a change log listener');
    this.#draining = true;
    try {
      return this.#drainEntries();
    } finally {
      this.#draining = false;
    }
  }

  #drainEntries(): number {
    const entries = this.#entries;
    const head = entries.head;
    const tail = entries.tail;
    if (head === tail) return 0;
    const buffer = this.#buffer;
    // Copied on the first change that is logged: a replay journals only replayed entries, whose
    // bytes nobody reads here (a copy of every replayed record was ~5 % of a recovery's main thread).
    let copy: Uint8Array | null = null;
    let position = tail;
    let drained = 0;
    const capacity = entries.mask + 1;
    for (let walked = 0; position !== head; ) {
      const next = entries.step(position);
      walked += (next - position) >>> 0;
      if (walked > capacity) fail('journal drain walked past the ring');
      const kind = entries.kind;
      // A replayed change already holds its LSN (the WAL at recovery): consumed, not logged again.
      if (kind !== EntryKind.Pad && (entries.flags & entryFlagReplayed) === 0) {
        const changeKind = kinds[kind];
        const ns = this.#namespaceNames[entries.namespaceId];
        if (changeKind === undefined || ns === undefined) fail(`journal invariant: entry kind ${kind} namespace ${entries.namespaceId}`);
        copy ??= this.#copyRange(tail, head);
        // Offsets of this entry within the copy.
        const shift = ((position - tail) >>> 0) - entries.start;
        const contentTypeStart = entries.contentTypeStart + shift;
        const contentType = entries.contentTypeLength === 0 ? '' : decoder.decode(copy.subarray(contentTypeStart, contentTypeStart + entries.contentTypeLength));
        this.#changeLog.append(new DrainedChange(entries, changeKind, ns, contentType, buffer, shift));
        drained++;
      }
      position = next;
    }
    entries.tail = position;
    return drained;
  }

  /**
   * The ring bytes from tail to head copied into the drain buffer (unshared: TextDecoder refuses
   * shared memory), laid out so that the entry at ring position p is at (p - tail). Entries never
   * straddle the ring's end (a pad fills it), so a wrapped range is the piece up to the end
   * followed by the piece from 0. Starts a new epoch: changes of earlier drains go stale.
   */
  #copyRange(tail: number, head: number): Uint8Array {
    const ring = this.#entries.u8;
    const mask = this.#entries.mask;
    const length = (head - tail) >>> 0;
    const start = tail & mask;
    const buffer = this.#buffer;
    buffer.epoch++;
    if (buffer.bytes.length < length) {
      let size = buffer.bytes.length * 2;
      while (size < length) size *= 2;
      buffer.bytes = new Uint8Array(size);
    }
    const copy = buffer.bytes;
    if (start + length <= ring.length) {
      copy.set(ring.subarray(start, start + length), 0);
      return copy;
    }
    const firstPiece = ring.length - start;
    copy.set(ring.subarray(start), 0);
    copy.set(ring.subarray(0, length - firstPiece), firstPiece);
    return copy;
  }
}
