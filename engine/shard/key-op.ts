// The shard's reader of a key op in a batch (layout in layout/batch-layout.ts): one reused object,
// pointed at each op in turn, fields copied to plain properties once (no allocation per op).

import {
  keyOpContentTypeLengthByte,
  keyOpHashByte,
  keyOpHeaderBytes,
  keyOpIfGenerationByte,
  keyOpKeyLengthByte,
  keyOpTagsLengthByte,
  keyOpPutModeByte,
  keyOpTtlByte,
  keyOpValueLengthByte,
  opNamespaceIdByte,
  Opcode,
  opOpcodeByte,
  type PutModeCode,
} from '../layout/batch-layout';

export class KeyOp {
  opcode = 0;
  namespaceId = 0;
  putMode = 0 as PutModeCode;
  /** Key, content type and value sit back to back from keyStart. */
  keyStart = 0;
  keyLength = 0;
  contentTypeLength = 0;
  valueLength = 0;
  /** Put: the joined surrogate keys follow the value (0 = none). */
  tagsLength = 0;
  ifGeneration = 0;
  ttlSec = -1;
  hash = 0;

  read(bytes: Uint8Array, view: DataView, position: number): this {
    this.opcode = bytes[position + opOpcodeByte]!;
    this.namespaceId = bytes[position + opNamespaceIdByte]!;
    this.putMode = bytes[position + keyOpPutModeByte]! as PutModeCode;
    this.keyStart = position + keyOpHeaderBytes;
    this.keyLength = view.getUint16(position + keyOpKeyLengthByte, true);
    this.contentTypeLength = bytes[position + keyOpContentTypeLengthByte]!;
    this.valueLength = view.getUint32(position + keyOpValueLengthByte, true);
    this.hash = view.getUint32(position + keyOpHashByte, true);
    // Reads (get, head) use none of the write fields: skip their loads on the hottest path.
    if (this.opcode >= Opcode.Put) {
      this.ifGeneration = view.getUint32(position + keyOpIfGenerationByte, true);
      this.ttlSec = view.getInt32(position + keyOpTtlByte, true);
      this.tagsLength = view.getUint16(position + keyOpTagsLengthByte, true);
    }
    return this;
  }

  get tagsStart(): number {
    return this.keyStart + this.keyLength + this.contentTypeLength + this.valueLength;
  }
}
