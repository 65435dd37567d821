// A reusable byte buffer that doubles when full, with a DataView and a Uint32Array over it. Encoders
// write at `length` and move it; one buffer serves a whole batch (no allocation per record).

import { assert } from './assert';

export class GrowableBuffer {
  bytes: Uint8Array;
  view: DataView;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    assert(initialBytes >= 8 && initialBytes % 8 === 0, 'GrowableBuffer size must be a multiple of 8');
    this.bytes = new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `extra` more bytes past length (doubling: amortised O(1) per byte). */
  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  /** A fresh ArrayBuffer holding exactly the used bytes (to transfer to a worker); resets to empty. */
  takeBuffer(): ArrayBuffer {
    const buffer = this.bytes.buffer.slice(0, this.length) as ArrayBuffer;
    this.length = 0;
    return buffer;
  }
}
