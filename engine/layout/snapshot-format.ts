// The snapshot file `snapshots/snapshot-<start LSN as 16 hex>.snap`: a header, framed chunks of
// opaque bytes (what a chunk holds is the engine's business: raw scan slices), and a footer. A file
// is complete only with a valid footer whose chunk count and checksum chain match the chunks read;
// the writer makes it under a temp name and renames it after fsync, so a crash leaves no half file
// under the final name, and a reader still verifies every checksum (bit rot, a copied-in-half backup).
//
//   header (8-aligned):
//   +0  u32 magic 'TSNP'   +4 u32 format version   +8 u32 header bytes   +12 u32 namespace count
//   +16 16 bytes history id                        +32 u32 start LSN low  +36 u32 start LSN high
//   +40 u32 reserved (0)   +44 u32 crc of the header with this word taken as 0
//   +48 namespace names, each [u8 length][UTF-8 bytes], then zero padding to 8
//
//   chunk frame (8-aligned):
//   +0 u32 bytes (< chunkLengthFooter)   +4 u32 records   +8 u32 crc of +0..+8 and the bytes   +12 u32 0
//   +16 bytes, zero padding to 8
//
//   footer:
//   +0 u32 0xFFFFFFFF (no chunk is this long)   +4 u32 chunk count   +8 u32 records low  +12 records high
//   +16 u32 chain crc (CRC-32 over every chunk's crc in order)   +20 u32 crc of +0..+20

import { crc32 } from './crc';
import { assert } from './assert';
import { historyIdBytes, readU53, writeU53 } from './wal-segment-header';

export const snapshotMagic = 0x504e5354; // 'TSNP' little endian
/**
 * 2: a chunk's records may carry their surrogate keys (scanRecordFlagHasTags, batch-layout.ts).
 * Format-1 files are still read (no record has the flag); a format-1 binary refuses format 2.
 */
export const snapshotFormatVersion = 2;
const snapshotFormatVersionOldest = 1;
export const snapshotHeaderFixedBytes = 48;
const headerCrcByte = 44;
export const chunkFrameBytes = 16;
export const footerBytes = 24;
export const chunkLengthFooter = 0xffffffff;
/** A chunk is at most this long (the engine sends scan slices far smaller). */
export const snapshotChunkBytesMax = 64 * 1024 * 1024;
export const snapshotNamespacesMax = 255;
/** How many complete snapshots the writer keeps (the newest ones); the front passes it to the worker. */
export const snapshotsKeptDefault = 2;
/** A snapshot being written carries this suffix until it is complete and renamed. */
export const snapshotTempSuffix = '.tmp';

export interface SnapshotMeta {
  historyId: Uint8Array;
  /** The LSN the snapshot started at: WAL replay resumes after it. */
  startLsn: number;
  /** Namespace names, in the order chunk contents refer to them. */
  namespaces: string[];
}

export function snapshotFileName(startLsn: number): string {
  return `snapshot-${startLsn.toString(16).padStart(16, '0')}.snap`;
}

/** The start LSN of a snapshot file name, or -1 when the name is not one. */
export function parseSnapshotFileName(name: string): number {
  if (!/^snapshot-[0-9a-f]{16}\.snap$/.test(name)) return -1;
  return Number.parseInt(name.slice(9, 25), 16);
}

export function pad8(length: number): number {
  return (length + 7) & ~7;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function encodeSnapshotHeader(meta: SnapshotMeta): Uint8Array {
  assert(meta.historyId.length === historyIdBytes, 'history id is 16 bytes');
  assert(meta.namespaces.length <= snapshotNamespacesMax, 'too many namespaces for a snapshot header');
  const names = meta.namespaces.map((name) => utf8.encode(name));
  for (const name of names) assert(name.length > 0 && name.length <= 255, 'a namespace name is 1..255 bytes');
  const total = pad8(snapshotHeaderFixedBytes + names.reduce((sum, name) => sum + 1 + name.length, 0));
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, snapshotMagic, true);
  view.setUint32(4, snapshotFormatVersion, true);
  view.setUint32(8, total, true);
  view.setUint32(12, names.length, true);
  bytes.set(meta.historyId, 16);
  writeU53(view, 32, meta.startLsn);
  let at = snapshotHeaderFixedBytes;
  for (const name of names) {
    bytes[at] = name.length;
    bytes.set(name, at + 1);
    at += 1 + name.length;
  }
  view.setUint32(headerCrcByte, crc32(bytes, 0, total), true);
  return bytes;
}

/** The header's length from its first 16 bytes, or -1 when they are not a snapshot header's. */
export function snapshotHeaderLength(first16: Uint8Array): number {
  if (first16.length < 16) return -1;
  const view = new DataView(first16.buffer, first16.byteOffset, 16);
  const version = view.getUint32(4, true);
  if (view.getUint32(0, true) !== snapshotMagic || version < snapshotFormatVersionOldest || version > snapshotFormatVersion) return -1;
  const total = view.getUint32(8, true);
  if (total < snapshotHeaderFixedBytes || total % 8 !== 0 || total > snapshotHeaderFixedBytes + 256 * snapshotNamespacesMax + 8) return -1;
  return total;
}

/** The metadata of a whole header, or null when its checksum or fields are wrong. */
export function decodeSnapshotHeader(bytes: Uint8Array): SnapshotMeta | null {
  const total = snapshotHeaderLength(bytes);
  if (total < 0 || bytes.length < total) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, total);
  const stored = view.getUint32(headerCrcByte, true);
  const copy = bytes.slice(0, total);
  new DataView(copy.buffer).setUint32(headerCrcByte, 0, true);
  if (crc32(copy, 0, total) !== stored) return null;
  const count = view.getUint32(12, true);
  const namespaces: string[] = [];
  let at = snapshotHeaderFixedBytes;
  for (let index = 0; index < count; index++) {
    const length = bytes[at];
    if (length === undefined || length === 0 || at + 1 + length > total) return null;
    namespaces.push(utf8Decoder.decode(bytes.subarray(at + 1, at + 1 + length)));
    at += 1 + length;
  }
  return { historyId: bytes.slice(16, 32), startLsn: readU53(view, 32), namespaces };
}

/** Fills `frame` (16 bytes) for a chunk of `bytes` holding `records` records; returns the chunk crc. */
export function encodeChunkFrame(frame: Uint8Array, bytes: Uint8Array, records: number): number {
  assert(bytes.length <= snapshotChunkBytesMax, `a snapshot chunk is at most ${snapshotChunkBytesMax} bytes`);
  assert(Number.isInteger(records) && records >= 0 && records < 2 ** 32, 'chunk record count is a u32');
  const view = new DataView(frame.buffer, frame.byteOffset, chunkFrameBytes);
  view.setUint32(0, bytes.length, true);
  view.setUint32(4, records, true);
  view.setUint32(12, 0, true);
  const crc = crc32(bytes, 0, bytes.length, crc32(frame, 0, 8));
  view.setUint32(8, crc, true);
  return crc;
}

/** The chunk crc a frame claims for `bytes`, checked; null when it does not match. */
export function checkChunk(frame: Uint8Array, bytes: Uint8Array): number | null {
  const view = new DataView(frame.buffer, frame.byteOffset, chunkFrameBytes);
  const crc = crc32(bytes, 0, bytes.length, crc32(frame, 0, 8));
  return crc === view.getUint32(8, true) ? crc : null;
}

export interface SnapshotFooter {
  chunks: number;
  records: number;
  chainCrc: number;
}

export function encodeSnapshotFooter(footer: SnapshotFooter): Uint8Array {
  const bytes = new Uint8Array(footerBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, chunkLengthFooter, true);
  view.setUint32(4, footer.chunks, true);
  writeU53(view, 8, footer.records);
  view.setUint32(16, footer.chainCrc >>> 0, true);
  view.setUint32(20, crc32(bytes, 0, 20), true);
  return bytes;
}

export function decodeSnapshotFooter(bytes: Uint8Array): SnapshotFooter | null {
  if (bytes.length < footerBytes) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, footerBytes);
  if (view.getUint32(0, true) !== chunkLengthFooter) return null;
  if (view.getUint32(20, true) !== crc32(bytes, 0, 20)) return null;
  return { chunks: view.getUint32(4, true), records: readU53(view, 8), chainCrc: view.getUint32(16, true) };
}

/** Extends the chain checksum by one chunk crc (no allocation: a reused 4-byte scratch). */
const chainScratch = new Uint8Array(4);
const chainView = new DataView(chainScratch.buffer);
export function chainChunkCrc(chain: number, chunkCrc: number): number {
  chainView.setUint32(0, chunkCrc >>> 0, true);
  return crc32(chainScratch, 0, 4, chain);
}
