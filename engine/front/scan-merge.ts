// Merges the scan slices of every shard into one page (see scan-cursor.ts for the order). Each
// shard answers everything up to its own boundary; the page may only include what every shard has
// covered, so it ends at the smallest boundary, then at the page limit.

import { mediaTypeOf } from '../layout/stored-content-type';
import { fail } from '../layout/assert';
import {
  resultFlagHasValue,
  scanRecordBytes,
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
  scanResultFlagCut,
  scanResultFlagsByte,
  scanResultHeaderBytes,
  scanResultReachedHashByte,
} from '../layout/batch-layout';
import { comparePositions, type ScanPosition } from './scan-cursor';
import type { ScannedRecord } from '../layout/types';

const decoder = new TextDecoder();

export interface HashedRecord extends ScannedRecord {
  hash: number;
}

export interface ScanSlice {
  records: HashedRecord[];
  /** Every matching record at or before this position is in `records`. */
  boundary: ScanPosition;
}

/** Parses one shard's scan payload (bytes = the result's value). Copies keys and values out. */
export function parseScanSlice(bytes: Uint8Array): ScanSlice {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(scanResultCountByte, true);
  const cut = (bytes[scanResultFlagsByte]! & scanResultFlagCut) !== 0;
  const records: HashedRecord[] = [];
  let position = scanResultHeaderBytes;
  for (let i = 0; i < count; i++) {
    const keyLength = view.getUint16(position + scanRecordKeyLengthByte, true);
    const contentTypeLength = bytes[position + scanRecordContentTypeLengthByte]!;
    const hasValue = (bytes[position + scanRecordFlagsByte]! & resultFlagHasValue) !== 0;
    const valueLength = view.getUint32(position + scanRecordValueLengthByte, true);
    const keyStart = position + scanRecordHeaderBytes;
    const valueStart = keyStart + keyLength + contentTypeLength;
    records.push({
      hash: view.getUint32(position + scanRecordHashByte, true),
      key: bytes.slice(keyStart, keyStart + keyLength),
      value: hasValue ? bytes.slice(valueStart, valueStart + valueLength) : null,
      size: valueLength,
      generation: view.getUint32(position + scanRecordGenerationByte, true),
      expiry: view.getUint32(position + scanRecordExpiryByte, true),
      lastModified: view.getFloat64(position + scanRecordLastModifiedByte, true),
      contentType: contentTypeLength === 0 ? '' : mediaTypeOf(decoder.decode(bytes.subarray(keyStart + keyLength, valueStart))),
    });
    position += scanRecordBytes(keyLength, contentTypeLength, hasValue ? valueLength : 0);
  }
  if (position !== bytes.length) fail('scan invariant: slice payload length mismatch');
  const last = records[records.length - 1];
  const boundary: ScanPosition = cut && last !== undefined
    ? { hash: last.hash, key: last.key }
    : { hash: view.getUint32(scanResultReachedHashByte, true), key: null };
  return { records, boundary };
}

export const scanEnd: ScanPosition = { hash: 0xffffffff, key: null };

/** The page: records in order up to the common boundary and the limit, and where it ends. */
export function mergeScanSlices(slices: ScanSlice[], limit: number): { records: HashedRecord[]; end: ScanPosition } {
  let end = scanEnd;
  for (const slice of slices) if (comparePositions(slice.boundary, end) < 0) end = slice.boundary;
  const records: HashedRecord[] = [];
  for (const slice of slices) {
    for (const record of slice.records) if (comparePositions(record, end) <= 0) records.push(record);
  }
  records.sort(comparePositions);
  if (records.length > limit) {
    records.length = limit;
    const last = records[limit - 1]!;
    end = { hash: last.hash, key: last.key };
  }
  return { records, end };
}
