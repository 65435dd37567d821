// The front's reader of a tag-keys answer (layout in layout/batch-layout.ts; the shard side is
// shard/shard-tag-keys.ts).

import { tagKeysOpBytes, tagKeysResultCountByte, tagKeysResultHeaderBytes, tagKeysResultTotalByte } from '../layout/batch-layout';
import { Status, StatusError } from '../layout/status';
import { isTag } from '../layout/surrogate-keys';
import { pad4 } from '../layout/words';
import type { TaggedKeys } from './engine-api';
import type { ShardLink } from './shard-link';

const encoder = new TextEncoder();

/** Sends one tag-keys op to every shard; one answer per shard, in shard order. */
export function askTaggedKeys(links: readonly ShardLink[], namespaceId: number, tag: string, limit: number): Promise<TaggedKeys[]> {
  if (!isTag(tag) || !Number.isInteger(limit) || limit < 1) return Promise.reject(new StatusError(Status.InvalidArgument));
  const tagBytes = encoder.encode(tag);
  return Promise.all(links.map((link) => new Promise<TaggedKeys>((resolve, reject) => {
    link.writerFor(tagKeysOpBytes(tagBytes.length)).writeTagKeys(namespaceId, tagBytes, limit);
    link.enqueue({
      onResult: (_token, result) => (result === null || result.status !== Status.Ok ? reject(new StatusError(Status.ShardUnavailable)) : resolve(parseTagKeys(result.valueView()))),
    }, 0);
  })));
}

/** The front's reader of a tag-keys payload: how many carry the tag, and the page of keys. */
export function parseTagKeys(payload: Uint8Array): { total: number; keys: Uint8Array[] } {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const count = view.getUint32(tagKeysResultCountByte, true);
  const keys: Uint8Array[] = [];
  let position = tagKeysResultHeaderBytes;
  for (let index = 0; index < count; index++) {
    const keyLength = view.getUint16(position, true);
    keys.push(payload.slice(position + 2, position + 2 + keyLength));
    position += pad4(2 + keyLength);
  }
  return { total: view.getUint32(tagKeysResultTotalByte, true), keys };
}
