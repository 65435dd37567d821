// The shard side of the journal: appends entries (the commit point) and lists the entries a
// restarted shard must replay. See journal-layout.ts for the ring and its ordering rule.

import { copyBytes, copyWords } from '../copy-bytes';
import {
  EntryKind,
  entryBytesByte,
  entryContentTypeLengthByte,
  entryExpiryByte,
  entryGenerationByte,
  entryHeaderBytes,
  entryKeyLengthByte,
  entryKindByte,
  entryLastModifiedByte,
  entryNamespaceIdByte,
  entryValueLengthByte,
  journalControlBytes,
  journalWordHead,
  journalWordTail,
  entryBytesFor,
} from './journal-layout';

export interface JournalFields {
  kind: EntryKind;
  namespaceId: number;
  generation: number;
  expiry: number;
  lastModified: number;
}

export class JournalWriter {
  readonly #control: Int32Array;
  readonly #u8: Uint8Array;
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  readonly #capacity: number;
  readonly #mask: number;

  constructor(buffer: SharedArrayBuffer) {
    this.#capacity = buffer.byteLength - journalControlBytes;
    this.#mask = this.#capacity - 1;
    this.#control = new Int32Array(buffer, 0, journalControlBytes / 4);
    this.#u8 = new Uint8Array(buffer, journalControlBytes, this.#capacity);
    this.#u32 = new Uint32Array(buffer, journalControlBytes, this.#capacity / 4);
    this.#f64 = new Float64Array(buffer, journalControlBytes, this.#capacity / 8);
  }

  get head(): number {
    return Atomics.load(this.#control, journalWordHead) >>> 0;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /**
   * True when an entry of these sizes fits now, counting the pad it may need at the ring's end.
   * An entry of at most half the capacity always fits an empty ring, which is why the engine sizes
   * each ring at four times the largest possible record.
   */
  hasRoomFor(keyLength: number, contentTypeLength: number, valueLength: number): boolean {
    const bytes = entryBytesFor(keyLength, contentTypeLength, valueLength);
    const head = this.head;
    const used = (head - (Atomics.load(this.#control, journalWordTail) >>> 0)) >>> 0;
    const untilEnd = this.#capacity - (head & this.#mask);
    return used + (untilEnd < bytes ? untilEnd + bytes : bytes) <= this.#capacity;
  }

  /** Appends one entry and publishes it. The caller checked hasRoomFor. Returns the new head. */
  append(
    fields: JournalFields,
    source: Uint8Array, source32: Uint32Array,
    keyStart: number, keyLength: number,
    contentTypeStart: number, contentTypeLength: number,
    valueStart: number, valueLength: number,
  ): number {
    const bytes = entryBytesFor(keyLength, contentTypeLength, valueLength);
    let head = this.head;
    const tail = Atomics.load(this.#control, journalWordTail) >>> 0;
    let position = head & this.#mask;
    const untilEnd = this.#capacity - position;
    if (untilEnd < bytes) {
      if (((head - tail) >>> 0) + untilEnd + bytes > this.#capacity) throw new Error('journal invariant: append without room');
      this.#u32[position >>> 2] = untilEnd;
      this.#u8[position + entryKindByte] = EntryKind.Pad;
      head = (head + untilEnd) >>> 0;
      position = 0;
    } else if (((head - tail) >>> 0) + bytes > this.#capacity) {
      throw new Error('journal invariant: append without room');
    }
    const u8 = this.#u8;
    const u32 = this.#u32;
    u32[(position + entryBytesByte) >>> 2] = bytes;
    u8[position + entryKindByte] = fields.kind;
    u8[position + entryNamespaceIdByte] = fields.namespaceId;
    u8[position + entryKeyLengthByte] = keyLength & 0xff;
    u8[position + entryKeyLengthByte + 1] = keyLength >>> 8;
    u32[(position + entryGenerationByte) >>> 2] = fields.generation;
    u32[(position + entryExpiryByte) >>> 2] = fields.expiry;
    this.#f64[(position + entryLastModifiedByte) >>> 3] = fields.lastModified;
    u32[(position + entryValueLengthByte) >>> 2] = valueLength;
    u8[position + entryContentTypeLengthByte] = contentTypeLength;
    let target = position + entryHeaderBytes;
    copyWords(source, source32, keyStart, u8, u32, target, keyLength);
    target += keyLength;
    copyBytes(source, contentTypeStart, u8, target, contentTypeLength);
    target += contentTypeLength;
    copyWords(source, source32, valueStart, u8, u32, target, valueLength);
    head = (head + bytes) >>> 0;
    Atomics.store(this.#control, journalWordHead, head | 0);
    return head;
  }

  /** Data-area views, for replay (journal-entries.ts reads entries through them). */
  get bytes(): Uint8Array {
    return this.#u8;
  }
}
