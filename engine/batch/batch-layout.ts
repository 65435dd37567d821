// The internal encoding of a batch between the front (main thread) and a shard thread. One
// ArrayBuffer of ops goes to the shard per task (transferred, not cloned); one ArrayBuffer of
// results comes back, one result per op, in order. Hand-laid little-endian binary: building
// FlatBuffers in JS costs more than these few stores, and this format never leaves the process.
//
// Op (4-aligned):
//   0 u8 opcode   1 u8 namespaceId   2 u8 putMode   3 u8 contentTypeLength
//   4 u16 keyLength   6 u16 reserved
//   8 u32 ifGeneration            (scan: limit; sweep: slots to examine; test crash: mode)
//   12 i32 ttlSec, -1 = default   (scan: flags)
//   16 u32 valueLength            (scan: length of the after-key, carried in the value bytes)
//   20 u32 hash                   (scan: the after-hash)
//   24 key, content type, value; padded to 4
//
// Result (4-aligned):
//   0 u8 status   1 u8 flags   2 u8 contentTypeLength   3 u8 reserved
//   4 u32 generation   8 u32 expiry   12 u32 valueLength   16 f64 lastModified
//   24 content type, value; padded to 4
// Scan result: an ordinary result (status Ok) whose value is the scan payload:
//   0 u8 flags 4 u32 count 8 u32 reachedHash, then `count` records:
//   0 u32 hash 4 u16 keyLength 6 u8 contentTypeLength 7 u8 flags 8 u32 generation 12 u32 expiry
//   16 f64 lastModified 24 u32 valueLength 28 key, content type, value; padded to 4

export const enum Opcode {
  Get = 1,
  Head = 2,
  Put = 3,
  Delete = 4,
  Touch = 5,
  Scan = 6,
  Sweep = 7,
  /** Test-only: makes the shard thread die (see shard-executor.ts). */
  TestCrash = 100,
}

export const enum PutModeCode {
  Upsert = 0,
  Create = 1,
  Update = 2,
}

export const opOpcodeByte = 0;
export const opNamespaceIdByte = 1;
export const opPutModeByte = 2;
export const opContentTypeLengthByte = 3;
export const opKeyLengthByte = 4;
export const opIfGenerationByte = 8;
export const opTtlByte = 12;
export const opValueLengthByte = 16;
export const opHashByte = 20;
export const opHeaderBytes = 24;

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

export const testCrashExitNow = 1;
export const testCrashExitAfterNextJournalAppend = 2;
export const testCrashThrowUncaught = 3;

export function pad4(length: number): number {
  return (length + 3) & ~3;
}
