// The tag-keys op (layout/batch-layout.ts): up to `limit` keys of one namespace that carry a tag,
// oldest tagging first, and how many carry it now. A purge by tag (wire/server/purge-runner.ts)
// asks for a page, deletes those keys with ordinary delete ops, and asks again.

import {
  opNamespaceIdByte,
  tagKeysOpHeaderBytes,
  tagKeysOpLimitByte,
  tagKeysOpTagLengthByte,
  tagKeysResultCountByte,
  tagKeysResultHeaderBytes,
  tagKeysResultTotalByte,
} from '../layout/batch-layout';
import { assert } from '../layout/assert';
import { pad4 } from '../layout/words';
import type { ShardState } from './shard-state';

/** Keys one tag-keys op answers at most, whatever it asks (bounds the shard's time on it). */
export const tagKeysLimitMax = 4096;

export function tagKeys(state: ShardState, bytes: Uint8Array, view: DataView, position: number): void {
  const namespaceId = bytes[position + opNamespaceIdByte]!;
  const tagLength = bytes[position + tagKeysOpTagLengthByte]!;
  const limit = Math.min(tagKeysLimitMax, view.getUint32(position + tagKeysOpLimitByte, true));
  const tagStart = position + tagKeysOpHeaderBytes;
  const tag = String.fromCharCode(...bytes.subarray(tagStart, tagStart + tagLength));
  const { total, keys } = state.tags.keysOf(namespaceId, tag, limit);
  let payloadBytes = tagKeysResultHeaderBytes;
  // A key id is the namespace char then the key's bytes as latin1 chars.
  for (const keyId of keys) payloadBytes += pad4(2 + keyId.length - 1);
  const payload = new Uint8Array(payloadBytes);
  const payloadView = new DataView(payload.buffer);
  payloadView.setUint32(tagKeysResultTotalByte, total, true);
  payloadView.setUint32(tagKeysResultCountByte, keys.length, true);
  let target = tagKeysResultHeaderBytes;
  for (const keyId of keys) {
    const keyLength = keyId.length - 1;
    payloadView.setUint16(target, keyLength, true);
    for (let index = 0; index < keyLength; index++) payload[target + 2 + index] = keyId.charCodeAt(index + 1);
    target += pad4(2 + keyLength);
  }
  assert(target === payloadBytes, 'tag-keys payload filled exactly');
  state.results.writePayload(payload);
}
