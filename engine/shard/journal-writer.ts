// The shard side of the journal: appends entries (the commit point) and lists the entries a
// restarted shard must replay. See journal-layout.ts for the ring and its ordering rule.

import { assert, assertStored } from '../layout/assert';
import type { ByteRuns } from '../layout/byte-runs';
import { copyBytes, copyWords, type WordView } from '../layout/copy-bytes';
import type { RecordStamp } from '../layout/types';
import { doubleAt, wordAt } from '../layout/words';
import {
  EntryKind,
  entryBytesByte,
  entryContentTypeLengthByte,
  entryFlagsByte,
  entryExpiryByte,
  entryGenerationByte,
  entryHeaderBytes,
  entryKeyLengthByte,
  entryKindByte,
  entryLastModifiedByte,
  entryNamespaceIdByte,
  entryValueLengthByte,
  entryTagsLengthByte,
  journalControlBytes,
  journalWordHead,
  journalWordTail,
  entryBytesFor,
} from '../layout/journal-layout';

export interface JournalFields extends RecordStamp {
  kind: EntryKind;
  namespaceId: number;
}

export class JournalWriter {
  readonly #control: Int32Array;
  readonly #u8: Uint8Array;
  readonly #u32: Uint32Array;
  readonly #f64: Float64Array;
  /** The data area as one WordView, for copyWords. */
  readonly #ring: WordView;
  readonly #capacity: number;
  readonly #mask: number;

  constructor(buffer: SharedArrayBuffer) {
    this.#capacity = buffer.byteLength - journalControlBytes;
    this.#mask = this.#capacity - 1;
    this.#control = new Int32Array(buffer, 0, journalControlBytes / 4);
    this.#u8 = new Uint8Array(buffer, journalControlBytes, this.#capacity);
    this.#u32 = new Uint32Array(buffer, journalControlBytes, this.#capacity / 4);
    this.#f64 = new Float64Array(buffer, journalControlBytes, this.#capacity / 8);
    this.#ring = { u8: this.#u8, u32: this.#u32 };
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
  hasRoomFor(keyLength: number, contentTypeLength: number, valueLength: number, tagsLength = 0): boolean {
    const bytes = entryBytesFor(keyLength, contentTypeLength, valueLength, tagsLength);
    const head = this.head;
    const used = (head - (Atomics.load(this.#control, journalWordTail) >>> 0)) >>> 0;
    const untilEnd = this.#capacity - (head & this.#mask);
    return used + (untilEnd < bytes ? untilEnd + bytes : bytes) <= this.#capacity;
  }

  /**
   * Appends one entry and publishes it. The caller checked hasRoomFor. Returns the new head.
   * `flags` are entryFlag* bits (journal-layout.ts); 0 for a change made here.
   */
  append(fields: JournalFields, runs: ByteRuns, flags = 0): number {
    const keyLength = runs.keyLength;
    const contentTypeLength = runs.contentTypeLength;
    const valueLength = runs.valueLength;
    const tagsLength = runs.tagsLength;
    const bytes = entryBytesFor(keyLength, contentTypeLength, valueLength, tagsLength);
    let head = this.head;
    const tail = Atomics.load(this.#control, journalWordTail) >>> 0;
    let position = head & this.#mask;
    const untilEnd = this.#capacity - position;
    if (untilEnd < bytes) {
      assert(((head - tail) >>> 0) + untilEnd + bytes <= this.#capacity, 'journal append without room');
      this.#u32[wordAt(position + entryBytesByte)] = untilEnd;
      this.#u8[position + entryKindByte] = EntryKind.Pad;
      head = (head + untilEnd) >>> 0;
      position = 0;
    } else {
      assert(((head - tail) >>> 0) + bytes <= this.#capacity, 'journal append without room');
    }
    const u8 = this.#u8;
    const u32 = this.#u32;
    u32[wordAt(position + entryBytesByte)] = bytes;
    u8[position + entryKindByte] = fields.kind;
    u8[position + entryNamespaceIdByte] = fields.namespaceId;
    u8[position + entryKeyLengthByte] = keyLength & 0xff;
    u8[position + entryKeyLengthByte + 1] = keyLength >>> 8;
    u32[wordAt(position + entryGenerationByte)] = fields.generation;
    u32[wordAt(position + entryExpiryByte)] = fields.expiry;
    this.#f64[doubleAt(position + entryLastModifiedByte)] = fields.lastModified;
    u32[wordAt(position + entryValueLengthByte)] = valueLength;
    u8[position + entryContentTypeLengthByte] = contentTypeLength;
    u8[position + entryFlagsByte] = flags;
    u8[position + entryTagsLengthByte] = tagsLength & 0xff;
    u8[position + entryTagsLengthByte + 1] = tagsLength >>> 8;
    // Pair checks: the u8 namespace id and u16 key length read back what was meant.
    assertStored(u8[position + entryNamespaceIdByte]!, fields.namespaceId, 'journal namespace id');
    assertStored(u8[position + entryKeyLengthByte]! | (u8[position + entryKeyLengthByte + 1]! << 8), keyLength, 'journal key length');
    assertStored(u8[position + entryContentTypeLengthByte]!, contentTypeLength, 'journal content-type length');
    let target = position + entryHeaderBytes;
    copyWords(runs, runs.keyStart, this.#ring, target, keyLength);
    target += keyLength;
    copyBytes(runs.u8, runs.contentTypeStart, u8, target, contentTypeLength);
    target += contentTypeLength;
    copyWords(runs, runs.valueStart, this.#ring, target, valueLength);
    target += valueLength;
    copyBytes(runs.tagsSource ?? runs.u8, runs.tagsStart, u8, target, tagsLength);
    head = (head + bytes) >>> 0;
    Atomics.store(this.#control, journalWordHead, head | 0);
    return head;
  }
}
