// Main-thread side: appends ops for one shard into its next batch (layout in layout/batch-layout.ts).

import { assert, fail } from '../layout/assert';
import {
  applyRecordsOpBytes,
  applyRecordsOpCountByte,
  applyRecordsOpHeaderBytes,
  scanResultCountByte,
  scanResultHeaderBytes,
  applyOpBytes,
  applyOpContentTypeLengthByte,
  applyOpExpiryByte,
  applyOpGenerationByte,
  applyOpHashByte,
  applyOpHeaderBytes,
  applyOpKeyLengthByte,
  applyOpTagsLengthByte,
  applyOpKindByte,
  applyOpLastModifiedByte,
  applyOpValueLengthByte,
  controlOpArgumentByte,
  controlOpBytes,
  keyOpBytes,
  keyOpContentTypeLengthByte,
  keyOpHashByte,
  keyOpHeaderBytes,
  keyOpIfGenerationByte,
  keyOpKeyLengthByte,
  keyOpTagsLengthByte,
  tagKeysOpBytes,
  tagKeysOpHeaderBytes,
  tagKeysOpLimitByte,
  tagKeysOpTagLengthByte,
  keyOpPutModeByte,
  keyOpTtlByte,
  keyOpValueLengthByte,
  opBytesByte,
  Opcode,
  opNamespaceIdByte,
  opOpcodeByte,
  scanOpAfterHashByte,
  scanOpAfterKeyLengthByte,
  scanOpBytes,
  scanOpFlagsByte,
  scanOpHeaderBytes,
  scanOpLimitByte,
  scanOpPrefixLengthByte,
  type ControlOpcode,
} from '../layout/batch-layout';
import { copyBytes } from '../layout/copy-bytes';
import { GrowableBytes } from '../layout/growable-bytes';
import type { ApplyRequest } from './apply-request';
import type { OpRequest } from './op-request';
import { snapshotChunkHeaderBytes } from './snapshot-chunk';

/** A scan slice's arguments (engine.ts fills one per page). */
export interface ScanSliceRequest {
  namespaceId: number;
  prefix: Uint8Array;
  limit: number;
  flags: number;
  afterHash: number;
  afterKey: Uint8Array;
}

export class OpWriter {
  readonly #out = new GrowableBytes();
  count = 0;

  get byteLength(): number {
    return this.#out.length;
  }

  /** Opens an op of `bytes` bytes: the common header. Returns its start. */
  #open(opcode: Opcode, namespaceId: number, bytes: number): number {
    const out = this.#out;
    out.reserve(bytes);
    const start = out.length;
    out.u8[start + opOpcodeByte] = opcode;
    out.u8[start + opNamespaceIdByte] = namespaceId;
    out.view.setUint32(start + opBytesByte, bytes, true);
    out.length = start + bytes;
    this.count++;
    return start;
  }

  /** One key op; `hash` is the key's table hash (layout/hash.ts). */
  writeKeyOp(request: OpRequest, hash: number): void {
    const contentType = request.contentType;
    const value = request.value;
    const keyLength = request.keyLength;
    const contentTypeLength = contentType === null ? 0 : contentType.length;
    const valueLength = value === null ? 0 : value.length;
    const tags = request.tags;
    const tagsLength = tags === null ? 0 : tags.length;
    const start = this.#open(request.opcode, request.namespaceId, keyOpBytes(keyLength, contentTypeLength, valueLength, tagsLength));
    const bytes = this.#out.u8;
    const view = this.#out.view;
    bytes[start + keyOpPutModeByte] = request.putMode;
    bytes[start + keyOpContentTypeLengthByte] = contentTypeLength;
    view.setUint16(start + keyOpKeyLengthByte, keyLength, true);
    view.setUint16(start + keyOpTagsLengthByte, tagsLength, true);
    view.setUint32(start + keyOpIfGenerationByte, request.ifGeneration, true);
    view.setInt32(start + keyOpTtlByte, request.ttlSec, true);
    view.setUint32(start + keyOpValueLengthByte, valueLength, true);
    view.setUint32(start + keyOpHashByte, hash, true);
    // Pair checks where narrow fields are written: what the shard will read is what was meant.
    if (
      bytes[start + opNamespaceIdByte] !== request.namespaceId ||
      bytes[start + keyOpContentTypeLengthByte] !== contentTypeLength ||
      view.getUint16(start + keyOpKeyLengthByte, true) !== keyLength ||
      view.getUint16(start + keyOpTagsLengthByte, true) !== tagsLength
    ) {
      fail('a key op field (namespace id u8, content-type length u8, key length u16, tags length u16) does not hold its value');
    }
    let target = start + keyOpHeaderBytes;
    copyBytes(request.keySource, request.keyStart, bytes, target, keyLength);
    target += keyLength;
    if (contentType !== null) copyBytes(contentType, 0, bytes, target, contentTypeLength);
    target += contentTypeLength;
    if (value !== null) copyBytes(value, 0, bytes, target, valueLength);
    target += valueLength;
    if (tags !== null) copyBytes(tags, 0, bytes, target, tagsLength);
  }

  /** A tag-keys op: up to `limit` keys of the namespace that carry `tag` (ASCII bytes). */
  writeTagKeys(namespaceId: number, tag: Uint8Array, limit: number): void {
    const start = this.#open(Opcode.TagKeys, namespaceId, tagKeysOpBytes(tag.length));
    this.#out.u8[start + tagKeysOpTagLengthByte] = tag.length;
    this.#out.view.setUint32(start + tagKeysOpLimitByte, limit, true);
    assert(this.#out.u8[start + tagKeysOpTagLengthByte] === tag.length, 'tag length fits its u8');
    copyBytes(tag, 0, this.#out.u8, start + tagKeysOpHeaderBytes, tag.length);
  }

  /** One apply op (a change made elsewhere, with its own metadata); `hash` is the key's table hash. */
  writeApply(request: ApplyRequest, hash: number): void {
    const keyLength = request.keyLength;
    const contentTypeLength = request.contentTypeLength;
    const valueLength = request.valueLength;
    const tagsLength = request.tagsLength;
    const start = this.#open(Opcode.Apply, request.namespaceId, applyOpBytes(keyLength, contentTypeLength, valueLength, tagsLength));
    const bytes = this.#out.u8;
    const view = this.#out.view;
    bytes[start + applyOpKindByte] = request.kind;
    bytes[start + applyOpContentTypeLengthByte] = contentTypeLength;
    view.setUint16(start + applyOpKeyLengthByte, keyLength, true);
    view.setUint16(start + applyOpTagsLengthByte, tagsLength, true);
    view.setUint32(start + applyOpGenerationByte, request.generation, true);
    view.setUint32(start + applyOpExpiryByte, request.expiry, true);
    view.setUint32(start + applyOpValueLengthByte, valueLength, true);
    view.setUint32(start + applyOpHashByte, hash, true);
    view.setFloat64(start + applyOpLastModifiedByte, request.lastModified, true);
    if (
      bytes[start + opNamespaceIdByte] !== request.namespaceId ||
      bytes[start + applyOpContentTypeLengthByte] !== contentTypeLength ||
      view.getUint16(start + applyOpKeyLengthByte, true) !== keyLength ||
      view.getUint32(start + applyOpGenerationByte, true) !== request.generation
    ) {
      fail('an apply op field (namespace id u8, content-type length u8, key length u16, generation u32) does not hold its value');
    }
    const source = request.source;
    let target = start + applyOpHeaderBytes;
    copyBytes(source, request.keyStart, bytes, target, keyLength);
    target += keyLength;
    copyBytes(source, request.contentTypeStart, bytes, target, contentTypeLength);
    target += contentTypeLength;
    copyBytes(source, request.valueStart, bytes, target, valueLength);
    target += valueLength;
    copyBytes(source, request.tagsStart, bytes, target, tagsLength);
  }

  /**
   * A snapshot chunk's records (front/snapshot-chunk.ts: after its namespace index and scan payload
   * header) copied whole into one apply-records op, under this engine's namespace id.
   */
  writeApplyRecords(namespaceId: number, chunk: Uint8Array): void {
    const recordsStart = snapshotChunkHeaderBytes + scanResultHeaderBytes;
    const recordBytes = chunk.length - recordsStart;
    const start = this.#open(Opcode.ApplyRecords, namespaceId, applyRecordsOpBytes(recordBytes));
    const count = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength).getUint32(snapshotChunkHeaderBytes + scanResultCountByte, true);
    this.#out.view.setUint32(start + applyRecordsOpCountByte, count, true);
    if (this.#out.u8[start + opNamespaceIdByte] !== namespaceId) fail('an apply-records op namespace id does not fit its u8');
    copyBytes(chunk, recordsStart, this.#out.u8, start + applyRecordsOpHeaderBytes, recordBytes);
  }

  /** A scan slice: prefix and after-key travel as the op's two runs. */
  writeScan(request: ScanSliceRequest): void {
    const prefixLength = request.prefix.length;
    const afterKeyLength = request.afterKey.length;
    const start = this.#open(Opcode.Scan, request.namespaceId, scanOpBytes(prefixLength, afterKeyLength));
    const bytes = this.#out.u8;
    const view = this.#out.view;
    bytes[start + scanOpFlagsByte] = request.flags;
    view.setUint16(start + scanOpPrefixLengthByte, prefixLength, true);
    view.setUint16(start + scanOpAfterKeyLengthByte, afterKeyLength, true);
    view.setUint32(start + scanOpLimitByte, request.limit, true);
    view.setUint32(start + scanOpAfterHashByte, request.afterHash, true);
    assert(view.getUint16(start + scanOpPrefixLengthByte, true) === prefixLength, 'scan prefix length fits its u16');
    assert(view.getUint16(start + scanOpAfterKeyLengthByte, true) === afterKeyLength, 'scan after-key length fits its u16');
    assert(bytes[start + opNamespaceIdByte] === request.namespaceId, 'scan namespace id fits its u8');
    copyBytes(request.prefix, 0, bytes, start + scanOpHeaderBytes, prefixLength);
    copyBytes(request.afterKey, 0, bytes, start + scanOpHeaderBytes + prefixLength, afterKeyLength);
  }

  /** Ops with no key: sweep (argument = slots to examine) and the test-only crash (argument = mode). */
  writeControl(opcode: ControlOpcode, argument: number): void {
    const start = this.#open(opcode, 0, controlOpBytes);
    this.#out.view.setUint32(start + controlOpArgumentByte, argument, true);
  }

  /** The batch to transfer to the shard; the writer starts the next one empty. */
  take(): ArrayBuffer {
    this.count = 0;
    return this.#out.takeBuffer();
  }
}
