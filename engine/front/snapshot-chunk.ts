// What a snapshot chunk holds (the snapshot file format, layout/snapshot-format.ts, frames opaque
// chunks): one shard's scan slice of one namespace, exactly as the shard answered it, behind the
// namespace's index in the snapshot's namespace list. Keeping the shard's own bytes costs the
// front thread one copy per slice and no parsing while the snapshot is written.
//
//   0 u32 namespace index   4 scan payload (layout/batch-layout.ts "Scan payload")

import { tagRunBytesMax } from '../layout/surrogate-keys';
import { fail } from '../layout/assert';
import {
  resultFlagHasValue,
  scanRecordBytes,
  scanRecordFlagHasTags,
  scanRecordShape,
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
import { EntryKind } from '../layout/journal-layout';
import type { ApplyRequest } from './apply-request';

export const snapshotChunkHeaderBytes = 4;

/** The chunk for one slice: the namespace index, then a copy of the shard's scan payload. */
export function encodeSnapshotChunk(namespaceIndex: number, payload: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(snapshotChunkHeaderBytes + payload.length);
  new DataView(chunk.buffer).setUint32(0, namespaceIndex, true);
  chunk.set(payload, snapshotChunkHeaderBytes);
  return chunk;
}

/** Where the next slice of a shard's pass over a namespace starts, read off a slice payload. */
export interface SliceEnd {
  /** Records in the slice. */
  count: number;
  /** True when the pass is complete (the shard reached the end of its index). */
  done: boolean;
  afterHash: number;
  /** The last record's key when the slice was cut inside a hash; null = resume after afterHash whole. */
  afterKey: Uint8Array | null;
}

export function readSliceEnd(payload: Uint8Array): SliceEnd {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = view.getUint32(scanResultCountByte, true);
  const cut = (payload[scanResultFlagsByte]! & scanResultFlagCut) !== 0;
  let position = scanResultHeaderBytes;
  let last = -1;
  for (let index = 0; index < count; index++) {
    last = position;
    if ((payload[position + scanRecordFlagsByte]! & resultFlagHasValue) === 0) fail('snapshot: a record without its value');
    const shape = scanRecordShape(payload, view, position, payload.length);
    if (shape === null) fail('snapshot: a scan record runs past its payload');
    position += shape.bytes;
  }
  if (position !== payload.length) fail('snapshot: scan payload length mismatch');
  if (cut && last >= 0) {
    const keyStart = last + scanRecordHeaderBytes;
    const keyLength = view.getUint16(last + scanRecordKeyLengthByte, true);
    return { count, done: false, afterHash: view.getUint32(last + scanRecordHashByte, true), afterKey: payload.slice(keyStart, keyStart + keyLength) };
  }
  const reached = view.getUint32(scanResultReachedHashByte, true);
  return { count, done: reached === 0xffffffff, afterHash: reached, afterKey: null };
}

/**
 * Calls `each` once per record of a chunk with `request` filled as a put of that record (runs
 * index the chunk; nothing is copied). Records of a namespace this config lacks are counted, not
 * applied. namespaceIds maps the snapshot's namespace indexes to this engine's ids (-1 = absent).
 */
export function forEachSnapshotRecord(chunk: Uint8Array, namespaceIds: readonly number[], request: ApplyRequest, each: () => void): { records: number; unknownNamespace: number } {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const namespaceId = namespaceIds[view.getUint32(0, true)] ?? -1;
  const base = snapshotChunkHeaderBytes;
  const count = view.getUint32(base + scanResultCountByte, true);
  if (namespaceId < 0) return { records: count, unknownNamespace: count };
  let position = base + scanResultHeaderBytes;
  for (let index = 0; index < count; index++) {
    const keyLength = view.getUint16(position + scanRecordKeyLengthByte, true);
    const contentTypeLength = chunk[position + scanRecordContentTypeLengthByte]!;
    const valueLength = view.getUint32(position + scanRecordValueLengthByte, true);
    if ((chunk[position + scanRecordFlagsByte]! & resultFlagHasValue) === 0) fail('snapshot: a record without its value');
    const keyStart = position + scanRecordHeaderBytes;
    request.namespaceId = namespaceId;
    request.kind = EntryKind.Put;
    request.source = chunk;
    request.keyStart = keyStart;
    request.keyLength = keyLength;
    request.contentTypeStart = keyStart + keyLength;
    request.contentTypeLength = contentTypeLength;
    request.valueStart = keyStart + keyLength + contentTypeLength;
    request.valueLength = valueLength;
    const shape = scanRecordShape(chunk, view, position, chunk.length);
    if (shape === null) fail('snapshot: a record runs past its chunk');
    request.tagsStart = shape.tagsStart;
    request.tagsLength = shape.tagsLength;
    request.generation = view.getUint32(position + scanRecordGenerationByte, true);
    request.expiry = view.getUint32(position + scanRecordExpiryByte, true);
    request.lastModified = view.getFloat64(position + scanRecordLastModifiedByte, true);
    each();
    position += shape.bytes;
  }
  if (position !== chunk.length) fail('snapshot: chunk length mismatch');
  return { records: count, unknownNamespace: 0 };
}

/** The chunk's namespace index (in the snapshot's namespace list). */
export function snapshotChunkNamespace(chunk: Uint8Array): number {
  return new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength).getUint32(0, true);
}

/** The records a chunk holds (its scan payload's count). */
export function snapshotChunkRecords(chunk: Uint8Array): number {
  return new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength).getUint32(snapshotChunkHeaderBytes + scanResultCountByte, true);
}

/**
 * The shard that owns every key of a chunk, or -1 when they are not all one shard's (another shard
 * count than the snapshot's writer had) or the chunk is empty. Reads the keys only (no allocation).
 */
export function snapshotChunkOwner(chunk: Uint8Array, partitions: { shardOfKey(bytes: Uint8Array, start: number, length: number): number }): number {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const count = view.getUint32(snapshotChunkHeaderBytes + scanResultCountByte, true);
  let owner = -1;
  let position = snapshotChunkHeaderBytes + scanResultHeaderBytes;
  // Record lengths are read inline (scanRecordShape returns an object per record); the shard
  // checks each record against the op's end again.
  for (let index = 0; index < count; index++) {
    if (position + scanRecordHeaderBytes > chunk.length) fail('snapshot: a record runs past its chunk');
    const keyLength = view.getUint16(position + scanRecordKeyLengthByte, true);
    const shard = partitions.shardOfKey(chunk, position + scanRecordHeaderBytes, keyLength);
    if (owner >= 0 && shard !== owner) return -1;
    owner = shard;
    const flags = chunk[position + scanRecordFlagsByte]!;
    const valueLength = (flags & resultFlagHasValue) !== 0 ? view.getUint32(position + scanRecordValueLengthByte, true) : 0;
    const runsEnd = position + scanRecordHeaderBytes + keyLength + chunk[position + scanRecordContentTypeLengthByte]! + valueLength;
    const tagRunBytes = (flags & scanRecordFlagHasTags) === 0 || runsEnd + 2 > chunk.length ? 0 : 2 + (chunk[runsEnd]! | (chunk[runsEnd + 1]! << 8));
    position += scanRecordBytes(keyLength, chunk[position + scanRecordContentTypeLengthByte]!, valueLength, tagRunBytes);
  }
  if (position !== chunk.length) fail('snapshot: chunk length mismatch');
  return owner;
}

/**
 * Walks a snapshot chunk from the network before anything of it is applied (forEachSnapshotRecord
 * asserts on a bad one: it trusts files it checksummed): a namespace index in range, record
 * lengths that end exactly at the chunk's end, every record with its value.
 */
export function snapshotChunkValid(chunk: Uint8Array, namespaceCount: number, records: number): boolean {
  const base = snapshotChunkHeaderBytes;
  if (chunk.length < base + scanResultHeaderBytes) return false;
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (view.getUint32(0, true) >= namespaceCount) return false;
  const count = view.getUint32(base + scanResultCountByte, true);
  if (count !== records) return false;
  let position = base + scanResultHeaderBytes;
  for (let index = 0; index < count; index++) {
    if (position + scanRecordHeaderBytes > chunk.length) return false;
    if ((chunk[position + scanRecordFlagsByte]! & resultFlagHasValue) === 0) return false;
    const keyLength = view.getUint16(position + scanRecordKeyLengthByte, true);
    if (keyLength === 0) return false;
    const shape = scanRecordShape(chunk, view, position, chunk.length);
    if (shape === null || shape.tagsLength > tagRunBytesMax) return false;
    position += shape.bytes;
  }
  return position === chunk.length;
}
