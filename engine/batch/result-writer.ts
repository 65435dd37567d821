// Shard side: appends one result per op (layout in batch-layout.ts).

import { copyBytes, copyWords } from '../copy-bytes';
import { GrowableBytes } from './growable-bytes';
import {
  pad4,
  resultContentTypeLengthByte,
  resultExpiryByte,
  resultFlagHasValue,
  resultFlagsByte,
  resultGenerationByte,
  resultHeaderBytes,
  resultLastModifiedByte,
  resultStatusByte,
  resultValueLengthByte,
  scanRecordContentTypeLengthByte,
  scanRecordExpiryByte,
  scanRecordFlagsByte,
  scanRecordGenerationByte,
  scanRecordHashByte,
  scanRecordHeaderBytes,
  scanRecordKeyLengthByte,
  scanRecordLastModifiedByte,
  scanRecordValueLengthByte,
  scanResultCountByte,
  scanResultFlagsByte,
  scanResultHeaderBytes,
  scanResultReachedHashByte,
} from './batch-layout';

export class ResultWriter {
  readonly out = new GrowableBytes();

  /** A result with no record (a failure, or a delete's acknowledgement with metadata zeroed). */
  writeStatus(status: number): void {
    this.write(status, 0, 0, 0, 0, null, null, 0, 0, 0, -1);
  }

  /**
   * valueLength -1 = no value (head, put, delete, touch). Content type and value are ranges of
   * `source` (with its u32 view, for word copies); source null = neither.
   */
  write(
    status: number, flags: number, generation: number, expiry: number, lastModified: number,
    source: Uint8Array | null, source32: Uint32Array | null,
    contentTypeStart: number, contentTypeLength: number,
    valueStart: number, valueLength: number,
  ): void {
    const out = this.out;
    const valueBytes = valueLength < 0 ? 0 : valueLength;
    out.reserve(resultHeaderBytes + pad4(contentTypeLength + valueBytes));
    const start = out.length;
    const bytes = out.bytes;
    const view = out.view;
    bytes[start + resultStatusByte] = status;
    bytes[start + resultFlagsByte] = valueLength < 0 ? flags : flags | resultFlagHasValue;
    bytes[start + resultContentTypeLengthByte] = contentTypeLength;
    view.setUint32(start + resultGenerationByte, generation, true);
    view.setUint32(start + resultExpiryByte, expiry, true);
    view.setUint32(start + resultValueLengthByte, valueBytes, true);
    view.setFloat64(start + resultLastModifiedByte, lastModified, true);
    const target = start + resultHeaderBytes;
    if (source !== null && source32 !== null) {
      copyBytes(source, contentTypeStart, bytes, target, contentTypeLength);
      copyWords(source, source32, valueStart, bytes, out.words, target + contentTypeLength, valueBytes);
    }
    out.length = start + resultHeaderBytes + pad4(contentTypeLength + valueBytes);
  }

  /**
   * Starts a scan result. A scan result is an ordinary result whose value is the scan payload
   * (header + records), so a reader can step over it like any other. Returns its start.
   */
  beginScan(): number {
    const start = this.out.length;
    this.out.reserve(resultHeaderBytes + scanResultHeaderBytes);
    this.out.bytes.fill(0, start, start + resultHeaderBytes + scanResultHeaderBytes);
    this.out.length += resultHeaderBytes + scanResultHeaderBytes;
    return start;
  }

  writeScanRecord(
    hash: number, generation: number, expiry: number, lastModified: number,
    source: Uint8Array, keyStart: number, keyLength: number,
    contentTypeStart: number, contentTypeLength: number,
    valueStart: number, valueLength: number,
  ): void {
    const out = this.out;
    const valueBytes = valueLength < 0 ? 0 : valueLength;
    out.reserve(scanRecordHeaderBytes + pad4(keyLength + contentTypeLength + valueBytes));
    const start = out.length;
    const view = out.view;
    view.setUint32(start + scanRecordHashByte, hash, true);
    view.setUint16(start + scanRecordKeyLengthByte, keyLength, true);
    out.bytes[start + scanRecordContentTypeLengthByte] = contentTypeLength;
    out.bytes[start + scanRecordFlagsByte] = valueLength < 0 ? 0 : resultFlagHasValue;
    view.setUint32(start + scanRecordGenerationByte, generation, true);
    view.setUint32(start + scanRecordExpiryByte, expiry, true);
    view.setFloat64(start + scanRecordLastModifiedByte, lastModified, true);
    view.setUint32(start + scanRecordValueLengthByte, valueBytes, true);
    let target = start + scanRecordHeaderBytes;
    out.bytes.set(source.subarray(keyStart, keyStart + keyLength), target);
    target += keyLength;
    if (contentTypeLength > 0) out.bytes.set(source.subarray(contentTypeStart, contentTypeStart + contentTypeLength), target);
    target += contentTypeLength;
    if (valueBytes > 0) out.bytes.set(source.subarray(valueStart, valueStart + valueBytes), target);
    out.length = start + scanRecordHeaderBytes + pad4(keyLength + contentTypeLength + valueBytes);
  }

  finishScan(start: number, flags: number, count: number, reachedHash: number): void {
    const view = this.out.view;
    const payloadStart = start + resultHeaderBytes;
    this.out.bytes[start + resultStatusByte] = 0;
    this.out.bytes[start + resultFlagsByte] = resultFlagHasValue;
    view.setUint32(start + resultValueLengthByte, this.out.length - payloadStart, true);
    this.out.bytes[payloadStart + scanResultFlagsByte] = flags;
    view.setUint32(payloadStart + scanResultCountByte, count, true);
    view.setUint32(payloadStart + scanResultReachedHashByte, reachedHash, true);
  }

  take(): ArrayBuffer {
    return this.out.takeBuffer();
  }
}
