// Shard side: appends one result per op (layout in layout/batch-layout.ts). Results that carry a
// record's metadata read it straight from the table, so no caller passes a list of fields.

import { pad4 } from '../layout/words';
import { assert } from '../layout/assert';
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
  scanRecordBytes,
  scanRecordFlagHasTags,
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
  sweepResultBytes,
  applyRecordsResultAppliedByte,
  applyRecordsResultBytes,
  applyRecordsResultOutOfMemoryByte,
  sweepResultRecordsRemovedByte,
  sweepResultSlotsExaminedByte,
} from '../layout/batch-layout';
import { copyBytes, copyWords } from '../layout/copy-bytes';
import { GrowableBytes } from '../layout/growable-bytes';
import { Status } from '../layout/status';
import type { TableReader } from '../layout/table-reader';

export class ResultWriter {
  readonly out = new GrowableBytes();

  /** Writes a result header with `payloadBytes` of content type and value to follow. Returns its start. */
  #header(status: Status, flags: number, contentTypeLength: number, payloadBytes: number): number {
    const out = this.out;
    out.reserve(resultHeaderBytes + pad4(payloadBytes));
    const start = out.length;
    out.u8[start + resultStatusByte] = status;
    out.u8[start + resultFlagsByte] = flags;
    out.u8[start + resultContentTypeLengthByte] = contentTypeLength;
    out.view.setUint32(start + resultValueLengthByte, payloadBytes - contentTypeLength, true);
    out.length = start + resultHeaderBytes + pad4(payloadBytes);
    return start;
  }

  /** A result with no record (a failure); metadata zeroed. */
  writeStatus(status: Status): void {
    const start = this.#header(status, 0, 0, 0);
    const view = this.out.view;
    view.setUint32(start + resultGenerationByte, 0, true);
    view.setUint32(start + resultExpiryByte, 0, true);
    view.setFloat64(start + resultLastModifiedByte, 0, true);
  }

  /**
   * A result carrying the metadata and content type of the record at `record`, and its value when
   * `withValue` (a get). `flags` adds resultFlagCreated for a put that created the key.
   */
  writeRecord(status: Status, flags: number, table: TableReader, record: number, withValue: boolean): void {
    const contentTypeLength = table.recordContentTypeLength(record);
    const valueLength = withValue ? table.recordValueLength(record) : 0;
    const start = this.#header(status, withValue ? flags | resultFlagHasValue : flags, contentTypeLength, contentTypeLength + valueLength);
    const out = this.out;
    const view = out.view;
    view.setUint32(start + resultGenerationByte, table.recordGeneration(record), true);
    view.setUint32(start + resultExpiryByte, table.recordExpiry(record), true);
    view.setFloat64(start + resultLastModifiedByte, table.recordLastModified(record), true);
    assert(out.u8[start + resultContentTypeLengthByte] === contentTypeLength, 'result content-type length fits its u8');
    const target = start + resultHeaderBytes;
    copyBytes(table.u8, table.recordContentTypeStart(record), out.u8, target, contentTypeLength);
    if (withValue) copyWords(table, table.recordValueStart(record), out, target + contentTypeLength, valueLength);
  }

  /** The sweep's own answer: how many index slots it examined and how many expired records it removed. */
  writeSweep(slotsExamined: number, recordsRemoved: number): void {
    const payload = this.#payloadResult(Status.Ok, sweepResultBytes);
    const view = this.out.view;
    view.setUint32(payload + sweepResultSlotsExaminedByte, slotsExamined, true);
    view.setUint32(payload + sweepResultRecordsRemovedByte, recordsRemoved, true);
  }

  /** An apply-records op's own answer: records applied and records that did not fit (OutOfMemory). */
  writeApplyRecords(status: Status, applied: number, outOfMemory: number): void {
    const payload = this.#payloadResult(status, applyRecordsResultBytes);
    const view = this.out.view;
    view.setUint32(payload + applyRecordsResultAppliedByte, applied, true);
    view.setUint32(payload + applyRecordsResultOutOfMemoryByte, outOfMemory, true);
  }

  /** A result whose value is a payload of the op's own (tag keys): status Ok, flag hasValue. */
  writePayload(payload: Uint8Array): void {
    copyBytes(payload, 0, this.out.u8, this.#payloadResult(Status.Ok, payload.length), payload.length);
  }

  /** A result carrying an op's own payload (flag hasValue, no record fields); returns where the payload goes. */
  #payloadResult(status: Status, payloadBytes: number): number {
    const start = this.#header(status, resultFlagHasValue, 0, payloadBytes);
    const view = this.out.view;
    view.setUint32(start + resultGenerationByte, 0, true);
    view.setUint32(start + resultExpiryByte, 0, true);
    view.setFloat64(start + resultLastModifiedByte, 0, true);
    return start + resultHeaderBytes;
  }

  /**
   * Starts a scan result. A scan result is an ordinary result whose value is the scan payload
   * (header + records), so a reader can step over it like any other. Returns its start.
   */
  beginScan(): number {
    const start = this.out.length;
    this.out.reserve(resultHeaderBytes + scanResultHeaderBytes);
    this.out.u8.fill(0, start, start + resultHeaderBytes + scanResultHeaderBytes);
    this.out.length += resultHeaderBytes + scanResultHeaderBytes;
    return start;
  }

  /** One scanned record (the one in index slot `slot`), with its value when `withValue`. */
  writeScanRecord(table: TableReader, slot: number, record: number, withValue: boolean, tags: Uint8Array | null = null): void {
    const out = this.out;
    const keyLength = table.recordKeyLength(record);
    const contentTypeLength = table.recordContentTypeLength(record);
    // The value-length field is the value's size either way (listings show it); the value's bytes
    // follow only withValue.
    const valueLength = table.recordValueLength(record);
    const carriedLength = withValue ? valueLength : 0;
    const tagRunBytes = tags === null ? 0 : 2 + tags.length;
    out.reserve(scanRecordBytes(keyLength, contentTypeLength, carriedLength, tagRunBytes));
    const start = out.length;
    const view = out.view;
    view.setUint32(start + scanRecordHashByte, table.slotHash(slot), true);
    view.setUint16(start + scanRecordKeyLengthByte, keyLength, true);
    out.u8[start + scanRecordContentTypeLengthByte] = contentTypeLength;
    out.u8[start + scanRecordFlagsByte] = (withValue ? resultFlagHasValue : 0) | (tags === null ? 0 : scanRecordFlagHasTags);
    view.setUint32(start + scanRecordGenerationByte, table.recordGeneration(record), true);
    view.setUint32(start + scanRecordExpiryByte, table.recordExpiry(record), true);
    view.setFloat64(start + scanRecordLastModifiedByte, table.recordLastModified(record), true);
    view.setUint32(start + scanRecordValueLengthByte, valueLength, true);
    // Key, content type and value sit back to back in the record, as in the scan record.
    copyBytes(table.u8, table.recordKeyStart(record), out.u8, start + scanRecordHeaderBytes, keyLength + contentTypeLength + carriedLength);
    if (tags !== null) {
      const tagsAt = start + scanRecordHeaderBytes + keyLength + contentTypeLength + carriedLength;
      out.u8[tagsAt] = tags.length & 0xff;
      out.u8[tagsAt + 1] = tags.length >>> 8;
      out.u8.set(tags, tagsAt + 2);
    }
    out.length = start + scanRecordBytes(keyLength, contentTypeLength, carriedLength, tagRunBytes);
  }

  finishScan(start: number, flags: number, count: number, reachedHash: number): void {
    const view = this.out.view;
    const payloadStart = start + resultHeaderBytes;
    this.out.u8[start + resultStatusByte] = Status.Ok;
    this.out.u8[start + resultFlagsByte] = resultFlagHasValue;
    view.setUint32(start + resultValueLengthByte, this.out.length - payloadStart, true);
    this.out.u8[payloadStart + scanResultFlagsByte] = flags;
    view.setUint32(payloadStart + scanResultCountByte, count, true);
    view.setUint32(payloadStart + scanResultReachedHashByte, reachedHash, true);
  }

  take(): ArrayBuffer {
    return this.out.takeBuffer();
  }
}
