// A reusable byte buffer that doubles when full, with a DataView over it. Encoders write into one
// of these and copy out exactly the used bytes once per batch (one allocation per batch, none per op).

export class GrowableBytes {
  bytes: Uint8Array;
  /** Whole words of bytes (the buffer is always a multiple of 4 long). */
  words: Uint32Array;
  view: DataView;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    if (initialBytes % 4 !== 0) throw new RangeError('GrowableBytes size must be a multiple of 4');
    this.bytes = new Uint8Array(initialBytes);
    this.words = new Uint32Array(this.bytes.buffer, 0, initialBytes >>> 2);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `extra` more bytes past length. */
  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.words = new Uint32Array(grown.buffer);
    this.view = new DataView(grown.buffer);
  }

  /** A fresh ArrayBuffer holding exactly the used bytes (to transfer), and resets to empty. */
  takeBuffer(): ArrayBuffer {
    const buffer = this.bytes.buffer.slice(0, this.length) as ArrayBuffer;
    this.length = 0;
    return buffer;
  }
}
