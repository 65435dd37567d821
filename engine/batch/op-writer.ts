// Main-thread side: appends ops for one shard into its next batch (layout in batch-layout.ts).

import { copyBytes } from '../copy-bytes';
import { GrowableBytes } from './growable-bytes';

const empty = new Uint8Array(0);
import {
  Opcode,
  opContentTypeLengthByte,
  opHashByte,
  opHeaderBytes,
  opIfGenerationByte,
  opKeyLengthByte,
  opNamespaceIdByte,
  opOpcodeByte,
  opPutModeByte,
  opTtlByte,
  opValueLengthByte,
  pad4,
} from './batch-layout';


export class OpWriter {
  readonly #out = new GrowableBytes();
  count = 0;

  get byteLength(): number {
    return this.#out.length;
  }

  /** One key op. `key` is bytes [keyStart, keyStart + keyLength) of keySource. */
  write(
    opcode: Opcode, namespaceId: number, putMode: number, hash: number,
    keySource: Uint8Array, keyStart: number, keyLength: number,
    ifGeneration: number, ttlSec: number,
    contentType: Uint8Array | null, value: Uint8Array | null,
  ): void {
    const contentTypeLength = contentType === null ? 0 : contentType.length;
    const valueLength = value === null ? 0 : value.length;
    const out = this.#out;
    out.reserve(opHeaderBytes + pad4(keyLength + contentTypeLength + valueLength));
    const start = out.length;
    const bytes = out.bytes;
    const view = out.view;
    bytes[start + opOpcodeByte] = opcode;
    bytes[start + opNamespaceIdByte] = namespaceId;
    bytes[start + opPutModeByte] = putMode;
    bytes[start + opContentTypeLengthByte] = contentTypeLength;
    view.setUint16(start + opKeyLengthByte, keyLength, true);
    view.setUint32(start + opIfGenerationByte, ifGeneration, true);
    view.setInt32(start + opTtlByte, ttlSec, true);
    view.setUint32(start + opValueLengthByte, valueLength, true);
    view.setUint32(start + opHashByte, hash, true);
    let target = start + opHeaderBytes;
    copyBytes(keySource, keyStart, bytes, target, keyLength);
    target += keyLength;
    if (contentType !== null) copyBytes(contentType, 0, bytes, target, contentTypeLength);
    target += contentTypeLength;
    if (value !== null) copyBytes(value, 0, bytes, target, valueLength);
    out.length = start + opHeaderBytes + pad4(keyLength + contentTypeLength + valueLength);
    this.count++;
  }

  /** A scan slice: prefix travels as the key, the after-key as the value. */
  writeScan(namespaceId: number, prefix: Uint8Array, limit: number, flags: number, afterHash: number, afterKey: Uint8Array): void {
    this.write(Opcode.Scan, namespaceId, 0, afterHash, prefix, 0, prefix.length, limit, flags, null, afterKey);
  }

  /** Ops with no key: sweep (argument = slots to examine) and the test-only crash. */
  writeControl(opcode: Opcode.Sweep | Opcode.TestCrash, argument: number): void {
    this.write(opcode, 0, 0, 0, empty, 0, 0, argument, 0, null, null);
  }

  /** The batch to transfer to the shard; the writer starts the next one empty. */
  take(): ArrayBuffer {
    this.count = 0;
    return this.#out.takeBuffer();
  }
}
