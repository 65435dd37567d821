// Named byte ranges instead of positional lists: where a record, a journal entry or a result is
// written from key, content-type and value bytes, the three runs travel in one reusable struct.
// The runs are ranges of one source array (a batch buffer, a journal ring, a table) with its u32
// view for word copies (copy-bytes.ts); the struct is refilled per op, so naming them allocates
// nothing on the hot path.

import type { WordView } from './copy-bytes';

const emptyBytes = new Uint8Array(0);
const emptyWords = new Uint32Array(0);

export class ByteRuns implements WordView {
  /** The source's bytes. */
  u8: Uint8Array = emptyBytes;
  /** The u32 view of the source's buffer from its byte 0 (copyWords needs both). */
  u32: Uint32Array = emptyWords;
  keyStart = 0;
  keyLength = 0;
  contentTypeStart = 0;
  contentTypeLength = 0;
  valueStart = 0;
  valueLength = 0;
  /** A put's joined surrogate keys (journal entries carry them; records do not). */
  tagsStart = 0;
  tagsLength = 0;
  /**
   * Where the tags run lives when not in the source (null = in u8): a removal journals the removed
   * record's tags, which the shard holds in its tag index rather than in the table.
   */
  tagsSource: Uint8Array | null = null;

  /** Points at a new source; every run empty. Returns this, to chain the run setters. */
  from(source: Uint8Array, source32: Uint32Array): this {
    this.u8 = source;
    this.u32 = source32;
    this.keyStart = 0;
    this.keyLength = 0;
    this.contentTypeStart = 0;
    this.contentTypeLength = 0;
    this.valueStart = 0;
    this.valueLength = 0;
    this.tagsStart = 0;
    this.tagsLength = 0;
    this.tagsSource = null;
    return this;
  }

  key(start: number, length: number): this {
    this.keyStart = start;
    this.keyLength = length;
    return this;
  }

  contentType(start: number, length: number): this {
    this.contentTypeStart = start;
    this.contentTypeLength = length;
    return this;
  }

  tags(start: number, length: number): this {
    this.tagsStart = start;
    this.tagsLength = length;
    return this;
  }

  value(start: number, length: number): this {
    this.valueStart = start;
    this.valueLength = length;
    return this;
  }

  /** Key, content type and value laid out back to back from keyStart (a batch op, a record, an entry). */
  contiguous(keyStart: number, keyLength: number, contentTypeLength: number, valueLength: number): this {
    this.keyStart = keyStart;
    this.keyLength = keyLength;
    this.contentTypeStart = keyStart + keyLength;
    this.contentTypeLength = contentTypeLength;
    this.valueStart = keyStart + keyLength + contentTypeLength;
    this.valueLength = valueLength;
    return this;
  }
}
