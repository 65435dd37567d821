// The shard's reader of an apply op in a batch (layout in layout/batch-layout.ts): one reused
// object, pointed at each op in turn, fields copied to plain properties once.

import {
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
  opNamespaceIdByte,
} from '../layout/batch-layout';
import { EntryKind } from '../layout/journal-layout';

export class ApplyOp {
  namespaceId = 0;
  kind: EntryKind = EntryKind.Put;
  /** Key, content type and value sit back to back from keyStart. */
  keyStart = 0;
  keyLength = 0;
  contentTypeLength = 0;
  valueLength = 0;
  /** Put: the joined surrogate keys follow the value (0 = none). */
  tagsLength = 0;
  generation = 0;
  expiry = 0;
  lastModified = 0;
  hash = 0;

  read(bytes: Uint8Array, view: DataView, position: number): this {
    this.namespaceId = bytes[position + opNamespaceIdByte]!;
    this.kind = bytes[position + applyOpKindByte]! as EntryKind;
    this.keyStart = position + applyOpHeaderBytes;
    this.keyLength = view.getUint16(position + applyOpKeyLengthByte, true);
    this.contentTypeLength = bytes[position + applyOpContentTypeLengthByte]!;
    this.valueLength = view.getUint32(position + applyOpValueLengthByte, true);
    this.tagsLength = view.getUint16(position + applyOpTagsLengthByte, true);
    this.generation = view.getUint32(position + applyOpGenerationByte, true);
    this.expiry = view.getUint32(position + applyOpExpiryByte, true);
    this.lastModified = view.getFloat64(position + applyOpLastModifiedByte, true);
    this.hash = view.getUint32(position + applyOpHashByte, true);
    return this;
  }

  get tagsStart(): number {
    return this.keyStart + this.keyLength + this.contentTypeLength + this.valueLength;
  }
}
