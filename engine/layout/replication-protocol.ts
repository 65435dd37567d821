// The replication stream (DESIGN "Durability and replication"): binary WebSocket frames between a
// primary and a replica, one message per frame. Every frame starts with the same 8 bytes:
//
//   +0 u8 type   +1 u8 version (1)   +2 u16 reserved (0)   +4 u32 epoch
//
// The epoch is the sender's: a primary stamps every frame with its own, a replica stamps its hello
// with the highest epoch it has followed and its acks with the epoch of the stream it acknowledges.
// A node never applies nor acknowledges a frame of an epoch older than one it has seen (fencing).
// LSNs are f64 (safe integers, < 2^53, checked on decode), 8-aligned like every f64 field.
//
//   Hello          replica → primary   +8 historyId[16] +24 f64 lastAppliedLsn +32 u16 tokenBytes, token (UTF-8)
//   Start          primary → replica   +8 historyId[16] +24 f64 fromLsn +32 u8 mode (SyncMode)
//                  +40 previousHistoryId[16] (zeros: none) +56 f64 switchLsn (0: none)
//                  the stream that follows continues (historyId, fromLsn); a snapshot first when mode
//                  says so; the previous history and switch LSN let a replica take on a promotion
//   Records        primary → replica   +8 f64 firstLsn +16 u32 count +20 u32 reserved, then `count` WAL
//                  records (layout/wal-record.ts, sealed: each keeps its checksum), LSNs consecutive
//   SnapshotBegin  primary → replica   +8 historyId[16] +24 f64 lsn +32 f64 records +40 u16 namespaceCount,
//                  then per namespace u8 nameBytes + name
//   SnapshotChunk  primary → replica   +8 u32 records +12 u32 reserved, then one snapshot chunk
//                  (front/snapshot-chunk.ts), namespace indexes into SnapshotBegin's list
//   SnapshotEnd    primary → replica   +8 f64 lsn +16 f64 chunks
//   Heartbeat      primary → replica   +8 f64 primaryLastLsn +16 f64 sentAtMs
//   Ack            replica → primary   +8 f64 appliedLsn +16 f64 durableLsn
//
// Decoding never trusts a length: every field is bounds-checked, and a bad frame decodes to
// `null` with no partial result (the link then closes: a stream with a hole is never applied).

import { historyIdBytes } from './wal-segment-header';
import { RecordCheck, WalRecordView } from './wal-record';

/**
 * 2: records carry surrogate keys (tags) on puts and removals (WAL segment formats 2 and 3). A node
 * of version 1 drops a version-2 link as malformed, loudly, instead of misreading its records.
 */
export const replicationProtocolVersion = 2;
export const replicationSubprotocol = 'tessera-replication';
export const frameHeaderBytes = 8;
/** Bytes of a replication token at most (a bearer token). */
export const replicationTokenBytesMax = 4096;
/** Namespaces one SnapshotBegin may name at most. */
export const snapshotNamespacesMax = 4096;

export const enum MessageType {
  Hello = 1,
  Start = 2,
  Records = 3,
  SnapshotBegin = 4,
  SnapshotChunk = 5,
  SnapshotEnd = 6,
  Heartbeat = 7,
  Ack = 8,
}

/** How a replica was (re)synchronised: the primary says so in Start. */
export const enum SyncMode {
  Memory = 1,
  Wal = 2,
  Snapshot = 3,
}
export const syncModeNames = ['', 'memory', 'wal', 'snapshot'] as const;

export interface Hello { type: MessageType.Hello; epoch: number; historyId: Uint8Array; lastAppliedLsn: number; token: string }
export interface Start { type: MessageType.Start; epoch: number; historyId: Uint8Array; fromLsn: number; mode: SyncMode; previousHistoryId: Uint8Array | null; switchLsn: number }
export interface Records { type: MessageType.Records; epoch: number; firstLsn: number; count: number; bytes: Uint8Array; recordsStart: number }
export interface SnapshotBegin { type: MessageType.SnapshotBegin; epoch: number; historyId: Uint8Array; lsn: number; records: number; namespaces: string[] }
export interface SnapshotChunk { type: MessageType.SnapshotChunk; epoch: number; records: number; chunk: Uint8Array }
export interface SnapshotEnd { type: MessageType.SnapshotEnd; epoch: number; lsn: number; chunks: number }
export interface Heartbeat { type: MessageType.Heartbeat; epoch: number; primaryLastLsn: number; sentAtMs: number }
export interface Ack { type: MessageType.Ack; epoch: number; appliedLsn: number; durableLsn: number }
export type ReplicationMessage = Hello | Start | Records | SnapshotBegin | SnapshotChunk | SnapshotEnd | Heartbeat | Ack;

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function header(bytes: Uint8Array, view: DataView, type: MessageType, epoch: number): void {
  if (!(epoch >>> 0 === epoch)) throw new RangeError(`epoch must be a u32, got ${epoch}`);
  bytes[0] = type;
  bytes[1] = replicationProtocolVersion;
  view.setUint16(2, 0, true);
  view.setUint32(4, epoch, true);
}

function setLsn(view: DataView, at: number, lsn: number): void {
  if (!Number.isSafeInteger(lsn) || lsn < 0) throw new RangeError(`an LSN must be a safe integer >= 0, got ${lsn}`);
  view.setFloat64(at, lsn, true);
}

function fixed(type: MessageType, epoch: number, bytes: number): { bytes: Uint8Array; view: DataView } {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  header(out, view, type, epoch);
  return { bytes: out, view };
}

function setHistory(bytes: Uint8Array, at: number, historyId: Uint8Array): void {
  if (historyId.length !== historyIdBytes) throw new RangeError('a history id is 16 bytes');
  bytes.set(historyId, at);
}

export function encodeHello(epoch: number, historyId: Uint8Array, lastAppliedLsn: number, token = ''): Uint8Array {
  const tokenBytes = utf8.encode(token);
  if (tokenBytes.length > replicationTokenBytesMax) throw new RangeError('replication token too long');
  const { bytes, view } = fixed(MessageType.Hello, epoch, 34 + tokenBytes.length);
  setHistory(bytes, 8, historyId);
  setLsn(view, 24, lastAppliedLsn);
  view.setUint16(32, tokenBytes.length, true);
  bytes.set(tokenBytes, 34);
  return bytes;
}

export function encodeStart(epoch: number, historyId: Uint8Array, fromLsn: number, mode: SyncMode, previous: { historyId: Uint8Array; switchLsn: number } | null = null): Uint8Array {
  const { bytes, view } = fixed(MessageType.Start, epoch, 64);
  setHistory(bytes, 8, historyId);
  setLsn(view, 24, fromLsn);
  bytes[32] = mode;
  if (previous !== null) {
    setHistory(bytes, 40, previous.historyId);
    setLsn(view, 56, previous.switchLsn);
  }
  return bytes;
}

export function encodeSnapshotBegin(epoch: number, historyId: Uint8Array, lsn: number, records: number, namespaces: readonly string[]): Uint8Array {
  if (namespaces.length > snapshotNamespacesMax) throw new RangeError('too many namespaces');
  const names = namespaces.map((name) => utf8.encode(name));
  for (const name of names) if (name.length === 0 || name.length > 255) throw new RangeError('a namespace name is 1..255 bytes');
  const { bytes, view } = fixed(MessageType.SnapshotBegin, epoch, 42 + names.reduce((sum, name) => sum + 1 + name.length, 0));
  setHistory(bytes, 8, historyId);
  setLsn(view, 24, lsn);
  setLsn(view, 32, records);
  view.setUint16(40, names.length, true);
  let at = 42;
  for (const name of names) {
    bytes[at] = name.length;
    bytes.set(name, at + 1);
    at += 1 + name.length;
  }
  return bytes;
}

export function encodeSnapshotChunk(epoch: number, records: number, chunk: Uint8Array): Uint8Array {
  const { bytes, view } = fixed(MessageType.SnapshotChunk, epoch, 16 + chunk.length);
  if (!(records >>> 0 === records)) throw new RangeError('chunk records must be a u32');
  view.setUint32(8, records, true);
  bytes.set(chunk, 16);
  return bytes;
}

export function encodeSnapshotEnd(epoch: number, lsn: number, chunks: number): Uint8Array {
  const { bytes, view } = fixed(MessageType.SnapshotEnd, epoch, 24);
  setLsn(view, 8, lsn);
  setLsn(view, 16, chunks);
  return bytes;
}

export function encodeHeartbeat(epoch: number, primaryLastLsn: number, sentAtMs: number): Uint8Array {
  const { bytes, view } = fixed(MessageType.Heartbeat, epoch, 24);
  setLsn(view, 8, primaryLastLsn);
  view.setFloat64(16, sentAtMs, true);
  return bytes;
}

export function encodeAck(epoch: number, appliedLsn: number, durableLsn: number): Uint8Array {
  const { bytes, view } = fixed(MessageType.Ack, epoch, 24);
  setLsn(view, 8, appliedLsn);
  setLsn(view, 16, durableLsn);
  return bytes;
}

/** Bytes before the first record of a Records frame. */
export const recordsHeaderBytes = 24;

/**
 * Decodes one frame. Returns null for anything malformed: unknown type or version, a short frame,
 * an LSN that is not a safe integer, a bad name, or (Records) a record that does not check, whose
 * LSN is out of sequence, or bytes after the last record. Views point into `bytes` (no copy).
 */
export function decodeReplicationMessage(bytes: Uint8Array): ReplicationMessage | null {
  if (bytes.length < frameHeaderBytes || bytes[1] !== replicationProtocolVersion) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(2, true) !== 0) return null;
  const epoch = view.getUint32(4, true);
  const lsnAt = (at: number): number => {
    const value = view.getFloat64(at, true);
    return Number.isSafeInteger(value) && value >= 0 ? value : -1;
  };
  switch (bytes[0]) {
    case MessageType.Hello: {
      if (bytes.length < 34) return null;
      const tokenBytes = view.getUint16(32, true);
      const lastAppliedLsn = lsnAt(24);
      if (bytes.length !== 34 + tokenBytes || tokenBytes > replicationTokenBytesMax || lastAppliedLsn < 0) return null;
      const token = decodeText(bytes.subarray(34));
      if (token === null) return null;
      return { type: MessageType.Hello, epoch, historyId: bytes.slice(8, 24), lastAppliedLsn, token };
    }
    case MessageType.Start: {
      const fromLsn = bytes.length === 64 ? lsnAt(24) : -1;
      const switchLsn = bytes.length === 64 ? lsnAt(56) : -1;
      const mode = bytes[32] ?? 0;
      if (fromLsn < 0 || switchLsn < 0 || mode < SyncMode.Memory || mode > SyncMode.Snapshot) return null;
      const previous = bytes.slice(40, 56);
      const previousHistoryId = previous.every((byte) => byte === 0) ? null : previous;
      return { type: MessageType.Start, epoch, historyId: bytes.slice(8, 24), fromLsn, mode: mode as SyncMode, previousHistoryId, switchLsn };
    }
    case MessageType.Records:
      return decodeRecords(bytes, view, epoch);
    case MessageType.SnapshotBegin:
      return decodeSnapshotBegin(bytes, view, epoch);
    case MessageType.SnapshotChunk:
      if (bytes.length < 16) return null;
      return { type: MessageType.SnapshotChunk, epoch, records: view.getUint32(8, true), chunk: bytes.subarray(16) };
    case MessageType.SnapshotEnd: {
      const lsn = bytes.length === 24 ? lsnAt(8) : -1;
      const chunks = bytes.length === 24 ? lsnAt(16) : -1;
      return lsn < 0 || chunks < 0 ? null : { type: MessageType.SnapshotEnd, epoch, lsn, chunks };
    }
    case MessageType.Heartbeat: {
      const primaryLastLsn = bytes.length === 24 ? lsnAt(8) : -1;
      const sentAtMs = bytes.length === 24 ? view.getFloat64(16, true) : Number.NaN;
      return primaryLastLsn < 0 || !Number.isFinite(sentAtMs) ? null : { type: MessageType.Heartbeat, epoch, primaryLastLsn, sentAtMs };
    }
    case MessageType.Ack: {
      const appliedLsn = bytes.length === 24 ? lsnAt(8) : -1;
      const durableLsn = bytes.length === 24 ? lsnAt(16) : -1;
      return appliedLsn < 0 || durableLsn < 0 ? null : { type: MessageType.Ack, epoch, appliedLsn, durableLsn };
    }
    default:
      return null;
  }
}

function decodeText(bytes: Uint8Array): string | null {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    return null;
  }
}

const checkView = new WalRecordView();

/** Checks every record of a Records frame once, here, so the applier never meets a bad one midway. */
function decodeRecords(bytes: Uint8Array, view: DataView, epoch: number): Records | null {
  if (bytes.length < recordsHeaderBytes || view.getUint32(20, true) !== 0) return null;
  const firstLsn = view.getFloat64(8, true);
  const count = view.getUint32(16, true);
  if (!Number.isSafeInteger(firstLsn) || firstLsn < 1 || count === 0) return null;
  // WalRecordView asserts 8-aligned starts: a frame at an odd offset is copied once to align it.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  let at = recordsHeaderBytes;
  for (let index = 0; index < count; index++) {
    if (checkView.check(aligned, at, aligned.length) !== RecordCheck.Ok || checkView.lsn !== firstLsn + index) return null;
    at += checkView.recordBytes;
  }
  if (at !== aligned.length) return null;
  return { type: MessageType.Records, epoch, firstLsn, count, bytes: aligned, recordsStart: recordsHeaderBytes };
}

function decodeSnapshotBegin(bytes: Uint8Array, view: DataView, epoch: number): SnapshotBegin | null {
  if (bytes.length < 42) return null;
  const lsn = view.getFloat64(24, true);
  const records = view.getFloat64(32, true);
  const count = view.getUint16(40, true);
  if (!Number.isSafeInteger(lsn) || lsn < 0 || !Number.isSafeInteger(records) || records < 0 || count > snapshotNamespacesMax) return null;
  const namespaces: string[] = [];
  let at = 42;
  for (let index = 0; index < count; index++) {
    const length = bytes[at] ?? 0;
    if (length === 0 || at + 1 + length > bytes.length) return null;
    const name = decodeText(bytes.subarray(at + 1, at + 1 + length));
    if (name === null) return null;
    namespaces.push(name);
    at += 1 + length;
  }
  if (at !== bytes.length) return null;
  return { type: MessageType.SnapshotBegin, epoch, historyId: bytes.slice(8, 24), lsn, records, namespaces };
}
