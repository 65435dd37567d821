// Main-thread side: walks a batch's results in order. One reader per batch, advanced with next();
// field reads allocate nothing; value() and contentType() copy out and say so.

import { pad4 } from '../layout/words';
import {
  resultContentTypeLengthByte,
  resultExpiryByte,
  resultFlagHasValue,
  resultFlagsByte,
  resultGenerationByte,
  resultHeaderBytes,
  resultLastModifiedByte,
  resultStatusByte,
  resultValueLengthByte,
} from '../layout/batch-layout';

const decoder = new TextDecoder();

export class ResultReader {
  bytes: Uint8Array;
  view: DataView;
  /** Start of the current result. */
  position = 0;

  constructor(buffer: ArrayBuffer) {
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
  }

  get status(): number {
    return this.bytes[this.position + resultStatusByte]!;
  }
  get flags(): number {
    return this.bytes[this.position + resultFlagsByte]!;
  }
  get generation(): number {
    return this.view.getUint32(this.position + resultGenerationByte, true);
  }
  get expiry(): number {
    return this.view.getUint32(this.position + resultExpiryByte, true);
  }
  get lastModified(): number {
    return this.view.getFloat64(this.position + resultLastModifiedByte, true);
  }
  get contentTypeLength(): number {
    return this.bytes[this.position + resultContentTypeLengthByte]!;
  }
  get valueLength(): number {
    return this.view.getUint32(this.position + resultValueLengthByte, true);
  }
  get hasValue(): boolean {
    return (this.flags & resultFlagHasValue) !== 0;
  }
  get valueStart(): number {
    return this.position + resultHeaderBytes + this.contentTypeLength;
  }
  /** Allocates: decodes the content type to a string. */
  contentType(): string {
    const length = this.contentTypeLength;
    if (length === 0) return '';
    const start = this.position + resultHeaderBytes;
    return decoder.decode(this.bytes.subarray(start, start + length));
  }
  /** Allocates: a copy of the value, or null when the result carries none. */
  value(): Uint8Array | null {
    if (!this.hasValue) return null;
    const start = this.valueStart;
    return this.bytes.slice(start, start + this.valueLength);
  }
  /** A view of the value inside the batch buffer (valid while the reader is). */
  valueView(): Uint8Array {
    const start = this.valueStart;
    return this.bytes.subarray(start, start + this.valueLength);
  }
  /** Moves to the next result (a scan result too: its payload is its value, parsed by scan-merge.ts). */
  next(): void {
    this.position += resultHeaderBytes + pad4(this.contentTypeLength + this.valueLength);
  }
}
