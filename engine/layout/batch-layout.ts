// The internal encoding of a batch between the front (main thread) and a shard thread. One
// ArrayBuffer of ops goes to the shard per task (transferred, not cloned); one ArrayBuffer of
// results comes back, one result per op, in order. Hand-laid little-endian binary: building
// FlatBuffers in JS costs more than these few stores, and this format never leaves the process.
//
// Every op opens with the same 8 bytes, so the shard can step over an op without knowing its kind:
//   0 u8 opcode   1 u8 namespaceId   2 u8 (per kind)   3 u8 (per kind)   4 u32 opBytes (padded to 4)
//
// Key op (get, head, put, delete, touch):
//   2 u8 putMode   3 u8 contentTypeLength
//   8 u16 keyLength   10 u16 tagsLength (put: the joined surrogate keys, layout/surrogate-keys.ts)
//   12 u32 ifGeneration   16 i32 ttlSec (-1 = the namespace default)   20 u32 valueLength   24 u32 hash
//   28 key, content type, value, tags; padded to 4
// Scan op (one slice of a scan page, see shard/shard-scan.ts):
//   2 u8 flags (scanFlag*)   8 u16 prefixLength   10 u16 afterKeyLength   12 u32 limit   16 u32 afterHash
//   20 prefix, after-key; padded to 4
// Apply op (a change made elsewhere: the WAL at recovery, later a primary; applied with its own
// generation, expiry and lastModified, journaled with the `replayed` flag so it is not logged twice):
//   2 u8 kind (EntryKind)   3 u8 contentTypeLength   8 u16 keyLength   10 u16 tagsLength
//   12 u32 generation   16 u32 expiry   20 u32 valueLength   24 u32 hash
//   28 f64 lastModified (4-aligned only: read with DataView)   36 key, content type, value, tags; padded to 4
// Apply-records op (a snapshot chunk's records, every one owned by this shard, each applied as an
// apply op's put; one op and one result per chunk instead of one per record):
//   8 u32 count   12 `count` scan records exactly as in a scan payload (below), hash field unused
//   answered with a payload of its own (below): status Ok, or Busy when the journal had no room
//   (the load fails)
// Tag-keys op (the keys of one namespace that carry a tag, for a purge; shard/tag-index.ts):
//   2 u8 tagLength   8 u32 limit   12 tag; padded to 4
//   answered with a payload: 0 u32 total (keys carrying the tag now) 4 u32 count, then `count` keys:
//   u16 keyLength, key bytes; each padded to 4
// Control op (sweep, test crash; no key):
//   8 u32 argument (sweep: index slots to examine; test crash: testCrash* mode)   12 end
//
// Result (4-aligned):
//   0 u8 status   1 u8 flags   2 u8 contentTypeLength   3 u8 reserved
//   4 u32 generation   8 u32 expiry   12 u32 valueLength   16 f64 lastModified
//   24 content type, value; padded to 4
// Scan and sweep answer with an ordinary result (status Ok, flag hasValue) whose value is a
// payload of their own, so a reader steps over them like any other result:
// Scan payload: 0 u8 flags 4 u32 count 8 u32 reachedHash, then `count` records:
//   0 u32 hash 4 u16 keyLength 6 u8 contentTypeLength 7 u8 flags 8 u32 generation 12 u32 expiry
//   16 f64 lastModified 24 u32 valueLength 28 key, content type, value; padded to 4
// Sweep payload: 0 u32 slotsExamined 4 u32 recordsRemoved
// Apply-records payload: 0 u32 recordsApplied 4 u32 recordsOutOfMemory (did not fit)

import { assert } from './assert';
import { contentTypeBytesMax, keyBytesMaxHard, namespacesMax } from './limits';
import { pad4 } from './words';

export const enum Opcode {
  Get = 1,
  Head = 2,
  Put = 3,
  Delete = 4,
  Touch = 5,
  Scan = 6,
  Sweep = 7,
  Apply = 8,
  /** Grows the shard's index ahead of a bulk load (recovery from a snapshot): argument = records. */
  ReserveIndex = 9,
  /** The keys of a namespace that carry one surrogate key (purge by tag). */
  TagKeys = 10,
  /** A snapshot chunk's records, applied as puts (recovery). */
  ApplyRecords = 11,
  /** Test-only: makes the shard thread die (see shard/shard-executor.ts). */
  TestCrash = 100,
}

export type KeyOpcode = Opcode.Get | Opcode.Head | Opcode.Put | Opcode.Delete | Opcode.Touch;
export type ControlOpcode = Opcode.Sweep | Opcode.ReserveIndex | Opcode.TestCrash;

export const enum PutModeCode {
  Upsert = 0,
  Create = 1,
  Update = 2,
}

// ---- every op ----
export const opOpcodeByte = 0;
export const opNamespaceIdByte = 1;
export const opBytesByte = 4;

// ---- key ops ----
export const keyOpPutModeByte = 2;
export const keyOpContentTypeLengthByte = 3;
export const keyOpKeyLengthByte = 8;
export const keyOpTagsLengthByte = 10;
export const keyOpIfGenerationByte = 12;
export const keyOpTtlByte = 16;
export const keyOpValueLengthByte = 20;
export const keyOpHashByte = 24;
export const keyOpHeaderBytes = 28;

// ---- scan ops ----
export const scanOpFlagsByte = 2;
export const scanOpPrefixLengthByte = 8;
export const scanOpAfterKeyLengthByte = 10;
export const scanOpLimitByte = 12;
export const scanOpAfterHashByte = 16;
export const scanOpHeaderBytes = 20;

// ---- apply ops ----
export const applyOpKindByte = 2;
export const applyOpContentTypeLengthByte = 3;
export const applyOpKeyLengthByte = 8;
export const applyOpTagsLengthByte = 10;
export const applyOpGenerationByte = 12;
export const applyOpExpiryByte = 16;
export const applyOpValueLengthByte = 20;
export const applyOpHashByte = 24;
export const applyOpLastModifiedByte = 28;
export const applyOpHeaderBytes = 36;

/** Bytes of an apply op with these runs. */
export function applyOpBytes(keyLength: number, contentTypeLength: number, valueLength: number, tagsLength = 0): number {
  return applyOpHeaderBytes + pad4(keyLength + contentTypeLength + valueLength + tagsLength);
}

// ---- apply-records ops ----
export const applyRecordsOpCountByte = 8;
export const applyRecordsOpHeaderBytes = 12;

/** Bytes of an apply-records op carrying `recordBytes` of scan records (each already padded to 4). */
export function applyRecordsOpBytes(recordBytes: number): number {
  return applyRecordsOpHeaderBytes + pad4(recordBytes);
}

// ---- tag-keys ops ----
export const tagKeysOpTagLengthByte = 2;
export const tagKeysOpLimitByte = 8;
export const tagKeysOpHeaderBytes = 12;
export const tagKeysResultTotalByte = 0;
export const tagKeysResultCountByte = 4;
export const tagKeysResultHeaderBytes = 8;

export function tagKeysOpBytes(tagLength: number): number {
  return tagKeysOpHeaderBytes + pad4(tagLength);
}

// ---- control ops ----
export const controlOpArgumentByte = 8;
export const controlOpBytes = 12;

/** Bytes of a key op with these runs (header, runs, padding). */
export function keyOpBytes(keyLength: number, contentTypeLength: number, valueLength: number, tagsLength = 0): number {
  return keyOpHeaderBytes + pad4(keyLength + contentTypeLength + valueLength + tagsLength);
}

export function scanOpBytes(prefixLength: number, afterKeyLength: number): number {
  return scanOpHeaderBytes + pad4(prefixLength + afterKeyLength);
}

// ---- results ----
export const resultStatusByte = 0;
export const resultFlagsByte = 1;
export const resultContentTypeLengthByte = 2;
export const resultGenerationByte = 4;
export const resultExpiryByte = 8;
export const resultValueLengthByte = 12;
export const resultLastModifiedByte = 16;
export const resultHeaderBytes = 24;

export const resultFlagCreated = 1;
export const resultFlagHasValue = 2;

export const scanFlagValues = 1;
/** Carry each record's surrogate keys (snapshots ask for them). */
export const scanFlagTags = 8;
export const scanFlagHasAfter = 2;
/** The after-key is +infinity: resume strictly after the after-hash. */
export const scanFlagAfterWholeHash = 4;
export const scanResultFlagCut = 1;
export const scanResultFlagsByte = 0;
export const scanResultCountByte = 4;
export const scanResultReachedHashByte = 8;
export const scanResultHeaderBytes = 12;
export const scanRecordHashByte = 0;
export const scanRecordKeyLengthByte = 4;
export const scanRecordContentTypeLengthByte = 6;
export const scanRecordFlagsByte = 7;
export const scanRecordGenerationByte = 8;
export const scanRecordExpiryByte = 12;
export const scanRecordLastModifiedByte = 16;
export const scanRecordValueLengthByte = 24;
export const scanRecordHeaderBytes = 28;

/**
 * Bytes of one record in a scan payload (header, runs, padding); tagRunBytes is 0 or, for a record
 * flagged scanRecordFlagHasTags, 2 + its tags length (a u16 length, then the run, after the value).
 */
export function scanRecordBytes(keyLength: number, contentTypeLength: number, valueLength: number, tagRunBytes = 0): number {
  return scanRecordHeaderBytes + pad4(keyLength + contentTypeLength + valueLength + tagRunBytes);
}

/** Record flag: the record's tags follow its value (u16 length, then the joined tags). */
export const scanRecordFlagHasTags = 4;

/**
 * The shape of the scan record at `position` of bytes (whose DataView is view): the start and
 * length of its tags run (0 when none) and its total bytes; null when a length field runs past `end`.
 */
export function scanRecordShape(bytes: Uint8Array, view: DataView, position: number, end: number): { tagsStart: number; tagsLength: number; bytes: number } | null {
  if (position + scanRecordHeaderBytes > end) return null;
  const keyLength = view.getUint16(position + scanRecordKeyLengthByte, true);
  const contentTypeLength = bytes[position + scanRecordContentTypeLengthByte]!;
  const flags = bytes[position + scanRecordFlagsByte]!;
  const valueLength = (flags & resultFlagHasValue) !== 0 ? view.getUint32(position + scanRecordValueLengthByte, true) : 0;
  const runsEnd = position + scanRecordHeaderBytes + keyLength + contentTypeLength + valueLength;
  if ((flags & scanRecordFlagHasTags) === 0) return { tagsStart: runsEnd, tagsLength: 0, bytes: scanRecordBytes(keyLength, contentTypeLength, valueLength) };
  if (runsEnd + 2 > end) return null;
  const tagsLength = bytes[runsEnd]! | (bytes[runsEnd + 1]! << 8);
  return { tagsStart: runsEnd + 2, tagsLength, bytes: scanRecordBytes(keyLength, contentTypeLength, valueLength, 2 + tagsLength) };
}

export const sweepResultSlotsExaminedByte = 0;
export const sweepResultRecordsRemovedByte = 4;
export const sweepResultBytes = 8;

export const applyRecordsResultAppliedByte = 0;
export const applyRecordsResultOutOfMemoryByte = 4;
export const applyRecordsResultBytes = 8;

export const testCrashExitNow = 1;
export const testCrashExitAfterNextJournalAppend = 2;
export const testCrashThrowUncaught = 3;

function assertLayout(): void {
  assert(keyOpHeaderBytes % 4 === 0 && scanOpHeaderBytes % 4 === 0 && controlOpBytes % 4 === 0 && applyOpHeaderBytes % 4 === 0, 'op headers keep their runs 4-aligned');
  // The apply op's runs sit where a key op's do, relative to its own header.
  assert(applyOpKeyLengthByte === keyOpKeyLengthByte && applyOpValueLengthByte === keyOpValueLengthByte && applyOpHashByte === keyOpHashByte, 'apply and key ops share run fields');
  assert(resultHeaderBytes % 8 === 0 && resultLastModifiedByte % 8 === 0, 'result lastModified is 8-aligned');
  assert(keyOpKeyLengthByte > opBytesByte && scanOpPrefixLengthByte > opBytesByte && controlOpArgumentByte > opBytesByte, 'kind fields follow the common header');
  // The narrow fields hold every value the edge lets through.
  assert(keyBytesMaxHard <= 0xffff && contentTypeBytesMax <= 0xff && namespacesMax <= 0xff, 'narrow op fields hold their bounds');
}
assertLayout();
