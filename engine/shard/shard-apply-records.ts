// A snapshot chunk's records applied in the shard that owns them (recovery): one apply-records op
// per chunk (layout/batch-layout.ts) instead of an apply op per record. Routing each record through
// the front cost the main thread an op write, a key copy, a result and its delivery per record;
// here the front only checks that every key of the chunk is this shard's (front/engine.ts) and
// copies the chunk once. Each record is applied exactly as an apply op's put (shard-apply.ts).

import { applyRecordsOpCountByte, applyRecordsOpHeaderBytes, opBytesByte, opNamespaceIdByte, resultFlagHasValue, scanRecordContentTypeLengthByte, scanRecordExpiryByte, scanRecordFlagsByte, scanRecordGenerationByte, scanRecordHeaderBytes, scanRecordKeyLengthByte, scanRecordBytes, scanRecordFlagHasTags, scanRecordLastModifiedByte, scanRecordValueLengthByte } from '../layout/batch-layout';
import { fail } from '../layout/assert';
import { keyHash } from '../layout/hash';
import { Status } from '../layout/status';
import { putAsIs, type PutFields } from './shard-apply';
import type { ShardState } from './shard-state';

/** One reused record view (no allocation per record). */
class SnapshotRecordPut implements PutFields {
  namespaceId = 0;
  keyStart = 0;
  keyLength = 0;
  contentTypeLength = 0;
  valueLength = 0;
  tagsStart = 0;
  tagsLength = 0;
  generation = 0;
  expiry = 0;
  lastModified = 0;
  hash = 0;
}

const put = new SnapshotRecordPut();

export function applyRecords(state: ShardState, bytes: Uint8Array, view: DataView, words: Uint32Array, position: number): void {
  const namespaceId = bytes[position + opNamespaceIdByte]!;
  if (state.namespaces[namespaceId] === undefined) return state.results.writeStatus(Status.UnknownNamespace);
  const end = position + view.getUint32(position + opBytesByte, true);
  const count = view.getUint32(position + applyRecordsOpCountByte, true);
  let at = position + applyRecordsOpHeaderBytes;
  let applied = 0;
  let outOfMemory = 0;
  // Bounded by count; each record is checked to lie inside the op. Fields are read inline, not
  // through scanRecordShape, which returns an object per record (garbage in the shard's hot loop).
  for (let index = 0; index < count; index++) {
    if (at + scanRecordHeaderBytes > end) fail('apply-records: a record runs past its op');
    const flags = bytes[at + scanRecordFlagsByte]!;
    if ((flags & resultFlagHasValue) === 0) fail('apply-records: a record without its value');
    put.namespaceId = namespaceId;
    put.keyStart = at + scanRecordHeaderBytes;
    put.keyLength = view.getUint16(at + scanRecordKeyLengthByte, true);
    put.contentTypeLength = bytes[at + scanRecordContentTypeLengthByte]!;
    put.valueLength = view.getUint32(at + scanRecordValueLengthByte, true);
    const runsEnd = put.keyStart + put.keyLength + put.contentTypeLength + put.valueLength;
    const tagged = (flags & scanRecordFlagHasTags) !== 0;
    if (runsEnd + (tagged ? 2 : 0) > end) fail('apply-records: a record runs past its op');
    put.tagsLength = tagged ? bytes[runsEnd]! | (bytes[runsEnd + 1]! << 8) : 0;
    put.tagsStart = tagged ? runsEnd + 2 : runsEnd;
    const recordBytes = scanRecordBytes(put.keyLength, put.contentTypeLength, put.valueLength, tagged ? 2 + put.tagsLength : 0);
    if (at + recordBytes > end) fail('apply-records: a record runs past its op');
    put.generation = view.getUint32(at + scanRecordGenerationByte, true);
    put.expiry = view.getUint32(at + scanRecordExpiryByte, true);
    put.lastModified = view.getFloat64(at + scanRecordLastModifiedByte, true);
    // The chunk's own hash field is the writer's table hash: namespace ids may differ in this config.
    put.hash = keyHash(namespaceId, bytes, put.keyStart, put.keyLength);
    state.stamps.observe(put.lastModified);
    const status = putAsIs(state, put, bytes, words);
    if (status === Status.Busy) return state.results.writeApplyRecords(Status.Busy, applied, outOfMemory);
    if (status === Status.OutOfMemory) outOfMemory++;
    else applied++;
    at += recordBytes;
  }
  if (at > end) fail('apply-records: records run past the op');
  state.results.writeApplyRecords(Status.Ok, applied, outOfMemory);
}
