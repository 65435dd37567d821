// The WAL record: one Change of the node-wide change log, framed so a reader can tell a whole record
// from a torn or bit-flipped one. Records are 8-aligned and never straddle two segment files.
//
//   record (little endian, 8-aligned):
//   +0  u32 payloadBytes  (0 = no more records in this file: preallocated space is zero)
//   +4  u32 crc           CRC-32 over bytes +0..+4 (the length) then +8..+16+payloadBytes (LSN, payload)
//   +8  u32 lsn low       +12 u32 lsn high  (an LSN is a safe integer, < 2^53)
//   +16 payload, then zero padding to the next multiple of 8
//
//   payload:
//   +0  u8 kind (ChangeKindCode)   +1 u8 namespaceNameBytes   +2 u8 contentTypeBytes   +3 u8 flags
//   +4  u32 generation             +8 u32 expiry (epoch seconds, 0 = never)
//   +12 u32 keyBytes               +16 f64 lastModified (epoch ms)
//   +24 u32 valueBytes             +28 u32 tagsBytes (joined surrogate keys; 0 = none)
//   +32 namespace name, content type, key, value (put only), tags (a put's new tags; from segment
//       format 3 also a delete's, expired's or evicted's: the tags the removed record had; never a touch's)
// (tagsBytes was a reserved 0 in segment format 1, so format-1 records read as records without tags.)
//
// The namespace travels by NAME: namespace ids are positions in a config and may change across
// restarts. The CRC covers the length word too, so a flipped length bit is caught before the bytes it
// points at are trusted; a reader also bounds the length by walRecordBytesMax before reading.
//
// Encoding and sealing are two steps: the front thread encodes (no allocation per record: ASCII
// names are copied char by char) and leaves the crc word 0; the log-writer worker seals each record
// (computes its crc) as it takes the batch, so the checksum costs the front thread nothing.
// wal-record.bench.ts, 2026-11-29, this 2-core VM: encode 109 ns (100 B value) / 155 ns (1 KiB);
// encode + crc 405 / 604 ns: the crc (a zlib.crc32 call and its view) is ~3/4 of the cost.

import type { Change, ChangeKind } from './types';
import { crc32 } from './crc';
import type { GrowableBytes } from './growable-bytes';
import { assert } from './assert';
import { tagRunBytesMax } from './surrogate-keys';

export const recordWordPayloadBytes = 0;
export const recordWordCrc = 4;
export const recordLsnLowByte = 8;
export const recordLsnHighByte = 12;
export const recordHeaderBytes = 16;

export const payloadKindByte = 0;
export const payloadNamespaceBytesByte = 1;
export const payloadContentTypeBytesByte = 2;
export const payloadFlagsByte = 3;
export const payloadGenerationByte = 4;
export const payloadExpiryByte = 8;
export const payloadKeyBytesByte = 12;
export const payloadLastModifiedByte = 16;
export const payloadValueBytesByte = 24;
export const payloadTagsBytesByte = 28;
export const payloadFixedBytes = 32;

/** Bounds of the variable fields (engine/limits.ts holds the engine's own, which are tighter or equal). */
export const walNamespaceBytesMax = 255;
export const walContentTypeBytesMax = 255;
export const walKeyBytesMax = 16 * 1024;
export const walValueBytesMax = 64 * 1024 * 1024;
export const walPayloadBytesMax =
  payloadFixedBytes + walNamespaceBytesMax + walContentTypeBytesMax + walKeyBytesMax + walValueBytesMax + tagRunBytesMax;
export const walRecordBytesMax = recordBytesFor(walPayloadBytesMax);

/** Flag: a put carries a value (a put of an empty value has valueBytes 0 and this flag set). */
const flagHasValue = 1;

export const enum ChangeKindCode {
  Put = 1,
  Delete = 2,
  Touch = 3,
  Expired = 4,
  Evicted = 5,
}

const kindCodes: Record<ChangeKind, ChangeKindCode> = {
  put: ChangeKindCode.Put,
  delete: ChangeKindCode.Delete,
  touch: ChangeKindCode.Touch,
  expired: ChangeKindCode.Expired,
  evicted: ChangeKindCode.Evicted,
};
const kindNames: readonly (ChangeKind | undefined)[] = [undefined, 'put', 'delete', 'touch', 'expired', 'evicted'];

export function recordBytesFor(payloadBytes: number): number {
  return (recordHeaderBytes + payloadBytes + 7) & ~7;
}

/** The LSN stored at `start` (two u32 words: a safe integer needs 53 bits). */
export function readRecordLsn(view: DataView, start: number): number {
  return view.getUint32(start + recordLsnLowByte, true) + view.getUint32(start + recordLsnHighByte, true) * 2 ** 32;
}

const utf8 = new TextEncoder();

/**
 * Appends one record for `change` at `target.length` and moves length past it (padding included).
 * Throws a RangeError for a field out of bounds (the engine's limits stop those at the edge first).
 */
export function encodeWalRecord(target: GrowableBytes, change: Change): number {
  const { key, value, ns, contentType } = change;
  const tags = change.tags ?? null;
  const tagsBytes = tags === null ? 0 : tags.length;
  assert(Number.isSafeInteger(change.lsn) && change.lsn > 0, 'a WAL record needs a positive safe LSN');
  assert(change.generation >>> 0 === change.generation && change.expiry >>> 0 === change.expiry, 'generation and expiry are u32');
  // Names and content types are ASCII by validation; UTF-8 length is bounded by 3x the string length.
  const stringRoom = (ns.length + contentType.length) * 3;
  const valueBytes = value === null ? 0 : value.length;
  if (key.length > walKeyBytesMax || valueBytes > walValueBytesMax || tagsBytes > tagRunBytesMax) throw new RangeError('WAL record: key, value or tags too long');
  target.reserve(recordBytesFor(payloadFixedBytes + stringRoom + key.length + valueBytes + tagsBytes));
  const bytes = target.u8;
  const view = target.view;
  const start = target.length;
  const payload = start + recordHeaderBytes;
  let cursor = payload + payloadFixedBytes;
  const nsWritten = writeString(bytes, cursor, ns, walNamespaceBytesMax);
  if (nsWritten <= 0) throw new RangeError('WAL record: namespace name length');
  cursor += nsWritten;
  const typeWritten = writeString(bytes, cursor, contentType, walContentTypeBytesMax);
  if (typeWritten < 0) throw new RangeError('WAL record: content type length');
  cursor += typeWritten;
  bytes.set(key, cursor);
  cursor += key.length;
  if (value !== null) bytes.set(value, cursor);
  cursor += valueBytes;
  if (tags !== null) bytes.set(tags, cursor);
  cursor += tagsBytes;
  const payloadBytes = cursor - payload;
  bytes[payload + payloadKindByte] = kindCodes[change.kind];
  bytes[payload + payloadNamespaceBytesByte] = nsWritten;
  bytes[payload + payloadContentTypeBytesByte] = typeWritten;
  bytes[payload + payloadFlagsByte] = value === null ? 0 : flagHasValue;
  view.setUint32(payload + payloadGenerationByte, change.generation, true);
  view.setUint32(payload + payloadExpiryByte, change.expiry, true);
  view.setUint32(payload + payloadKeyBytesByte, key.length, true);
  view.setFloat64(payload + payloadLastModifiedByte, change.lastModified, true);
  view.setUint32(payload + payloadValueBytesByte, valueBytes, true);
  view.setUint32(payload + payloadTagsBytesByte, tagsBytes, true);
  const end = start + recordBytesFor(payloadBytes);
  bytes.fill(0, cursor, end);
  view.setUint32(start + recordWordPayloadBytes, payloadBytes, true);
  view.setUint32(start + recordLsnLowByte, change.lsn % 2 ** 32, true);
  view.setUint32(start + recordLsnHighByte, Math.floor(change.lsn / 2 ** 32), true);
  view.setUint32(start + recordWordCrc, 0, true);
  target.length = end;
  return end - start;
}

/**
 * Writes `text` at bytes[at..] as UTF-8, at most `max` bytes; returns the bytes written or -1 when it
 * does not fit. ASCII (every name and validated content type) is copied without allocating.
 */
function writeString(bytes: Uint8Array, at: number, text: string, max: number): number {
  if (text.length > max) return -1;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code > 0x7f) return writeUtf8Slow(bytes, at, text, max);
    bytes[at + index] = code;
  }
  return text.length;
}

function writeUtf8Slow(bytes: Uint8Array, at: number, text: string, max: number): number {
  const result = utf8.encodeInto(text, bytes.subarray(at, at + max));
  return result.read === text.length ? result.written : -1;
}

/** Computes and stores the crc of the encoded record at `start` (the log-writer does this). */
export function sealWalRecord(bytes: Uint8Array, view: DataView, start: number): void {
  const payloadBytes = view.getUint32(bytes.byteOffset + start + recordWordPayloadBytes, true);
  view.setUint32(bytes.byteOffset + start + recordWordCrc, recordCrc(bytes, start, payloadBytes), true);
}

/** Seals every record in bytes[0, length) (whole records, as encodeWalRecord leaves them). */
export function sealWalRecords(bytes: Uint8Array, length: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  // Bounded by length: each pass moves past one record of at least recordHeaderBytes + payloadFixedBytes.
  while (at < length) {
    const payloadBytes = view.getUint32(at + recordWordPayloadBytes, true);
    assert(payloadBytes >= payloadFixedBytes && payloadBytes <= walPayloadBytesMax, 'sealing bytes that are not WAL records');
    sealWalRecord(bytes, view, at);
    at += recordBytesFor(payloadBytes);
  }
  assert(at === length, 'sealed bytes end inside a record');
}

function recordCrc(bytes: Uint8Array, start: number, payloadBytes: number): number {
  const lengthCrc = crc32(bytes, start, start + 4);
  return crc32(bytes, start + recordLsnLowByte, start + recordHeaderBytes + payloadBytes, lengthCrc);
}

export const enum RecordCheck {
  /** A whole record with a good checksum and consistent fields. */
  Ok = 0,
  /** A zero length word: the end of the records in this file. */
  End = 1,
  /** Fewer bytes left than the record needs: a torn tail. */
  Torn = 2,
  /** A bad length, checksum or field: corruption. */
  Corrupt = 3,
}

/**
 * A reusable view of one record inside a byte array: `check(bytes, start, end)` validates and points
 * it at the record. Fields are getters over the bytes; `namespace`, `contentType`, `key()` and
 * `toChange()` allocate (strings, views), the rest do not.
 */
export class WalRecordView {
  bytes: Uint8Array = new Uint8Array(8);
  #view = new DataView(this.bytes.buffer);
  start = 0;
  recordBytes = 0;
  payloadBytes = 0;

  /** Validates the record at `start` within bytes[.., end) and points this view at it. */
  check(bytes: Uint8Array, start: number, end: number): RecordCheck {
    if (bytes !== this.bytes) this.#attach(bytes);
    assert(start % 8 === 0 && start <= end && end <= bytes.length, 'record check out of range');
    if (end - start < 4) return end === start ? RecordCheck.End : RecordCheck.Torn;
    const view = this.#view;
    const payloadBytes = view.getUint32(bytes.byteOffset + start, true);
    if (payloadBytes === 0) return RecordCheck.End;
    if (payloadBytes < payloadFixedBytes || payloadBytes > walPayloadBytesMax) return RecordCheck.Corrupt;
    const recordBytes = recordBytesFor(payloadBytes);
    if (end - start < recordBytes) return RecordCheck.Torn;
    const stored = view.getUint32(bytes.byteOffset + start + recordWordCrc, true);
    if (recordCrc(bytes, start, payloadBytes) !== stored) return RecordCheck.Corrupt;
    this.start = start;
    this.payloadBytes = payloadBytes;
    this.recordBytes = recordBytes;
    return this.#fieldsConsistent() ? RecordCheck.Ok : RecordCheck.Corrupt;
  }

  /**
   * Points this view at a record this process encoded itself (the change log's pages): no crc (the
   * encoder leaves it 0), only the bounds asserted. Never for bytes read from a file or a socket.
   */
  pointAtOwn(bytes: Uint8Array, start: number): void {
    if (bytes !== this.bytes) this.#attach(bytes);
    const payloadBytes = this.#view.getUint32(bytes.byteOffset + start, true);
    assert(payloadBytes >= payloadFixedBytes && start + recordBytesFor(payloadBytes) <= bytes.length, 'an own record lies within its bytes');
    this.start = start;
    this.payloadBytes = payloadBytes;
    this.recordBytes = recordBytesFor(payloadBytes);
  }

  #attach(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer);
  }

  #fieldsConsistent(): boolean {
    const kind = this.kindCode;
    if (kind < ChangeKindCode.Put || kind > ChangeKindCode.Evicted) return false;
    const variable = this.namespaceBytes + this.contentTypeBytes + this.keyBytes + this.valueBytes + this.tagsBytes;
    if (payloadFixedBytes + variable !== this.payloadBytes) return false;
    if (this.tagsBytes > tagRunBytesMax || (this.tagsBytes !== 0 && kind === ChangeKindCode.Touch)) return false;
    return this.namespaceBytes > 0 && (this.hasValue || this.valueBytes === 0) && this.lsn > 0;
  }

  #u32(payloadByte: number): number {
    return this.#view.getUint32(this.bytes.byteOffset + this.start + recordHeaderBytes + payloadByte, true);
  }
  #u8(payloadByte: number): number {
    return this.bytes[this.start + recordHeaderBytes + payloadByte]!;
  }

  get lsn(): number {
    return readRecordLsn(this.#view, this.bytes.byteOffset + this.start);
  }
  get kindCode(): ChangeKindCode {
    return this.#u8(payloadKindByte) as ChangeKindCode;
  }
  get kind(): ChangeKind {
    return kindNames[this.kindCode]!;
  }
  get namespaceBytes(): number {
    return this.#u8(payloadNamespaceBytesByte);
  }
  get contentTypeBytes(): number {
    return this.#u8(payloadContentTypeBytesByte);
  }
  get hasValue(): boolean {
    return (this.#u8(payloadFlagsByte) & flagHasValue) !== 0;
  }
  get generation(): number {
    return this.#u32(payloadGenerationByte);
  }
  get expiry(): number {
    return this.#u32(payloadExpiryByte);
  }
  get keyBytes(): number {
    return this.#u32(payloadKeyBytesByte);
  }
  get lastModified(): number {
    return this.#view.getFloat64(this.bytes.byteOffset + this.start + recordHeaderBytes + payloadLastModifiedByte, true);
  }
  get valueBytes(): number {
    return this.#u32(payloadValueBytesByte);
  }
  get tagsBytes(): number {
    return this.#u32(payloadTagsBytesByte);
  }
  /** Byte index in `bytes` of the tags run (after the value). */
  get tagsStart(): number {
    return this.valueStart + this.valueBytes;
  }
  /** Byte index in `bytes` of the namespace name; content type, key and value follow in that order. */
  get namespaceStart(): number {
    return this.start + recordHeaderBytes + payloadFixedBytes;
  }
  get keyStart(): number {
    return this.namespaceStart + this.namespaceBytes + this.contentTypeBytes;
  }
  get valueStart(): number {
    return this.keyStart + this.keyBytes;
  }
  /** Allocates a string. */
  get namespace(): string {
    const start = this.namespaceStart;
    return utf8Decoder.decode(this.bytes.subarray(start, start + this.namespaceBytes));
  }
  /** Allocates a string. */
  get contentType(): string {
    const start = this.namespaceStart + this.namespaceBytes;
    return utf8Decoder.decode(this.bytes.subarray(start, start + this.contentTypeBytes));
  }
  /** A view of the key inside `bytes` (allocates the view object, not the bytes). */
  key(): Uint8Array {
    return this.bytes.subarray(this.keyStart, this.keyStart + this.keyBytes);
  }
  /** A view of the value, or null when the record has none. */
  value(): Uint8Array | null {
    if (!this.hasValue) return null;
    return this.bytes.subarray(this.valueStart, this.valueStart + this.valueBytes);
  }
  /** A standalone Change with copied bytes (allocates; for tests and slow paths). */
  /**
   * The record as a Change. `copy` true copies key and value out of `bytes` (a reused segment
   * buffer); false leaves them views of `bytes`, for a caller that owns it (a received frame).
   */
  toChange(copy = true): Change {
    const key = this.key();
    const value = this.value();
    const change: Change = {
      lsn: this.lsn,
      kind: this.kind,
      ns: this.namespace,
      key: copy ? key.slice() : key,
      generation: this.generation,
      expiry: this.expiry,
      lastModified: this.lastModified,
      contentType: this.contentType,
      value: value === null || !copy ? value : value.slice(),
    };
    // Only a record with tags gets the field, so a change without them looks as it always did.
    if (this.tagsBytes === 0) return change;
    const tagsEnd = this.tagsStart + this.tagsBytes;
    return { ...change, tags: copy ? this.bytes.slice(this.tagsStart, tagsEnd) : this.bytes.subarray(this.tagsStart, tagsEnd) };
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

function assertLayout(): void {
  assert(recordHeaderBytes % 8 === 0 && payloadFixedBytes % 8 === 0, 'WAL record header alignment');
  assert(payloadLastModifiedByte % 8 === 0, 'lastModified must be 8-aligned in the payload');
  assert(walRecordBytesMax < 2 ** 32, 'a WAL record length must fit a u32');
}
assertLayout();
