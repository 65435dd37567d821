// A reusable byte buffer that doubles when full, with a DataView over it. Encoders write into one
// of these and copy out exactly the used bytes once per batch (one allocation per batch, none per op).

import type { WordView } from './copy-bytes';

export class GrowableBytes implements WordView {
  u8: Uint8Array;
  /** Whole words of bytes (the buffer is always a multiple of 4 long). */
  u32: Uint32Array;
  view: DataView;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    if (initialBytes % 4 !== 0) throw new RangeError('GrowableBytes size must be a multiple of 4');
    this.u8 = new Uint8Array(initialBytes);
    this.u32 = new Uint32Array(this.u8.buffer, 0, initialBytes >>> 2);
    this.view = new DataView(this.u8.buffer);
  }

  /** Makes room for `extra` more bytes past length. */
  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.u8.length) return;
    let size = this.u8.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.u8.subarray(0, this.length));
    this.u8 = grown;
    this.u32 = new Uint32Array(grown.buffer);
    this.view = new DataView(grown.buffer);
  }

  /** A fresh ArrayBuffer holding exactly the used bytes (to transfer), and resets to empty. */
  takeBuffer(): ArrayBuffer {
    const buffer = this.u8.buffer.slice(0, this.length) as ArrayBuffer;
    this.length = 0;
    return buffer;
  }
}
