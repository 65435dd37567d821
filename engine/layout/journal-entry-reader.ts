// Reads journal entries in place, for the main thread's drain and the shard's replay. One reader
// object is reused: `at(position)` points it at an entry (no allocation).

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
} from './journal-layout';
import { doubleAt, wordAt } from './words';
import { fail } from './assert';

export class JournalEntryReader {
  readonly control: Int32Array;
  readonly u8: Uint8Array;
  readonly u32: Uint32Array;
  readonly #f64: Float64Array;
  readonly mask: number;
  /** Byte index in the data area of the entry `at` pointed to. */
  start = 0;

  constructor(buffer: SharedArrayBuffer) {
    const capacity = buffer.byteLength - journalControlBytes;
    this.mask = capacity - 1;
    this.control = new Int32Array(buffer, 0, journalControlBytes / 4);
    this.u8 = new Uint8Array(buffer, journalControlBytes, capacity);
    this.u32 = new Uint32Array(buffer, journalControlBytes, capacity / 4);
    this.#f64 = new Float64Array(buffer, journalControlBytes, capacity / 8);
  }

  get head(): number {
    return Atomics.load(this.control, journalWordHead) >>> 0;
  }

  get tail(): number {
    return Atomics.load(this.control, journalWordTail) >>> 0;
  }

  set tail(position: number) {
    Atomics.store(this.control, journalWordTail, position | 0);
  }

  /** Points at the entry at ring position `position` (a bytes-written count). */
  at(position: number): this {
    this.start = position & this.mask;
    return this;
  }

  /**
   * The one journal walk step (the drain and the replay both use it): points at the entry at
   * `position`, checks its size (8-aligned, not empty, not past the ring) and returns the position
   * of the next entry. Pad entries are stepped like any other; the caller skips them by kind.
   */
  step(position: number): number {
    this.start = position & this.mask;
    const bytes = this.entryBytes;
    if (bytes === 0 || bytes % 8 !== 0 || bytes > this.mask + 1) fail(`journal entry of ${bytes} bytes at ${position}`);
    return (position + bytes) >>> 0;
  }

  get entryBytes(): number {
    return this.u32[wordAt(this.start + entryBytesByte)]!;
  }
  get kind(): EntryKind {
    return this.u8[this.start + entryKindByte]! as EntryKind;
  }
  get namespaceId(): number {
    return this.u8[this.start + entryNamespaceIdByte]!;
  }
  get keyLength(): number {
    return this.u8[this.start + entryKeyLengthByte]! | (this.u8[this.start + entryKeyLengthByte + 1]! << 8);
  }
  get generation(): number {
    return this.u32[wordAt(this.start + entryGenerationByte)]!;
  }
  get expiry(): number {
    return this.u32[wordAt(this.start + entryExpiryByte)]!;
  }
  get lastModified(): number {
    return this.#f64[doubleAt(this.start + entryLastModifiedByte)]!;
  }
  get valueLength(): number {
    return this.u32[wordAt(this.start + entryValueLengthByte)]!;
  }
  get contentTypeLength(): number {
    return this.u8[this.start + entryContentTypeLengthByte]!;
  }
  /** entryFlag* bits (journal-layout.ts). */
  get flags(): number {
    return this.u8[this.start + entryFlagsByte]!;
  }
  get keyStart(): number {
    return this.start + entryHeaderBytes;
  }
  get contentTypeStart(): number {
    return this.keyStart + this.keyLength;
  }
  get valueStart(): number {
    return this.contentTypeStart + this.contentTypeLength;
  }
  get tagsLength(): number {
    return this.u8[this.start + entryTagsLengthByte]! | (this.u8[this.start + entryTagsLengthByte + 1]! << 8);
  }
  get tagsStart(): number {
    return this.valueStart + this.valueLength;
  }
}
