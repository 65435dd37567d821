// The shard's surrogate-key index: which of its records carry which tags, kept in the shard
// thread's own memory (JS maps; the table in shared memory has no room for a variable tag run per
// record, and nothing but this shard and its purge op reads tags).
//
//   tag id  (namespace id as one char + tag)          → Set of key ids, in the order tags were set
//   key id  (namespace id as one char + key, latin1)  → the record's tags
//
// A removal journals the record's tags (shard-state.ts removeCommitted), so delete, expired and
// evicted changes carry the tags the record had, as a put carries its new ones.
//
// Maintained on every change that links or unlinks a record: put (its tags replace the old ones;
// a put without tags drops them), delete, expired, evicted, and the same changes applied from the
// WAL or a primary. A put re-appends its key to each tag's set, so a set lists keys oldest first:
// a purge that takes keys from the head reaches every key tagged before it began within the set's
// size at its start (see wire/server/purge-runner.ts).
//
// Cost: nothing for a namespace with no tagged record (one array load per put or removal). For a
// tagged record, its key id string, tag array and set entries: estimated by tagRecordBytes and
// added to the namespace's byte count in the table header, so namespace memory limits and the
// bytes-per-record figures include tags (perf/tag-memory-bench.ts measured the estimate).
//
// Lost with the shard thread if it dies (the index is rebuilt only from the WAL at recovery); a
// restarted thread starts with an empty index and recount() drops the tag bytes with it.

import { namespaceBytesDouble } from '../layout/table-layout';
import { namespacesMax } from '../layout/limits';
import { decodeTagRun, encodeTagRun } from '../layout/surrogate-keys';

/**
 * Estimated heap bytes per tagged record (map entry, key id string header, tag array) and per tag
 * of it (its string, its set entry): fitted to perf/tag-memory-bench.ts, 2026-11-29 (1, 3 and 16
 * tags per record measured 119, 228 and 887 bytes with 16-byte keys).
 */
export const taggedRecordBytesBase = 56;
export const tagMembershipBytes = 52;

export function tagRecordBytes(keyLength: number, tags: readonly string[]): number {
  return taggedRecordBytesBase + keyLength + tags.length * tagMembershipBytes;
}

/** A put's key and tag runs in a batch (KeyOp and ApplyOp both have them). */
export interface TaggedRuns {
  namespaceId: number;
  keyStart: number;
  keyLength: number;
  tagsLength: number;
  readonly tagsStart: number;
}

export class TagIndex {
  readonly #keysByTag = new Map<string, Set<string>>();
  readonly #tagsByKey = new Map<string, readonly string[]>();
  /** Tagged records per namespace id: 0 lets untagged namespaces skip the maps entirely. */
  readonly #tagged = new Uint32Array(namespacesMax + 1);
  /** The table, whose header holds namespace byte counts (its f64 view is replaced when it grows). */
  readonly #table: { readonly f64: Float64Array };

  constructor(table: { readonly f64: Float64Array }) {
    this.#table = table;
  }

  get taggedRecords(): number {
    return this.#tagsByKey.size;
  }

  /** After a put was installed: its tags replace the record's (none = the record has none now). */
  afterPut(bytes: Uint8Array, runs: TaggedRuns): void {
    const namespaceId = runs.namespaceId;
    if (runs.tagsLength === 0 && this.#tagged[namespaceId] === 0) return;
    const keyId = keyIdOf(namespaceId, bytes, runs.keyStart, runs.keyLength);
    this.#drop(namespaceId, keyId, runs.keyLength);
    if (runs.tagsLength === 0) return;
    const tags = decodeTagRun(bytes, runs.tagsStart, runs.tagsLength);
    this.#tagsByKey.set(keyId, tags);
    this.#tagged[namespaceId]!++;
    const prefix = String.fromCharCode(namespaceId);
    for (const tag of tags) {
      const tagId = prefix + tag;
      let keys = this.#keysByTag.get(tagId);
      if (keys === undefined) this.#keysByTag.set(tagId, (keys = new Set()));
      keys.add(keyId);
    }
    this.#account(namespaceId, tagRecordBytes(runs.keyLength, tags));
  }

  /** After a record was unlinked (delete, expired, evicted): its tags go with it. */
  afterRemove(namespaceId: number, bytes: Uint8Array, keyStart: number, keyLength: number): void {
    if (this.#tagged[namespaceId] === 0) return;
    this.#drop(namespaceId, keyIdOf(namespaceId, bytes, keyStart, keyLength), keyLength);
  }

  /** The keys of the namespace carrying tag, oldest first, at most limit of them; and how many there are. */
  keysOf(namespaceId: number, tag: string, limit: number): { total: number; keys: string[] } {
    const keys = this.#keysByTag.get(String.fromCharCode(namespaceId) + tag);
    if (keys === undefined) return { total: 0, keys: [] };
    const taken: string[] = [];
    for (const keyId of keys) {
      if (taken.length === limit) break;
      taken.push(keyId);
    }
    return { total: keys.size, keys: taken };
  }

  /** The tags of a record (empty when none): for tests and the snapshot writer. */
  tagsOf(namespaceId: number, bytes: Uint8Array, keyStart: number, keyLength: number): readonly string[] {
    if (this.#tagged[namespaceId] === 0) return noTags;
    return this.#tagsByKey.get(keyIdOf(namespaceId, bytes, keyStart, keyLength)) ?? noTags;
  }

  /** The length in bytes of the record's joined tag run (0 when it has none), without building it. */
  tagRunLengthOf(namespaceId: number, bytes: Uint8Array, keyStart: number, keyLength: number): number {
    if (this.#tagged[namespaceId] === 0) return 0;
    const tags = this.tagsOf(namespaceId, bytes, keyStart, keyLength);
    let length = tags.length === 0 ? 0 : tags.length - 1;
    for (const tag of tags) length += tag.length;
    return length;
  }

  /** The record's tags as a joined run (allocates), or null when it has none: for snapshots and removals. */
  tagRunOf(namespaceId: number, bytes: Uint8Array, keyStart: number, keyLength: number): Uint8Array | null {
    const tags = this.tagsOf(namespaceId, bytes, keyStart, keyLength);
    return tags.length === 0 ? null : encodeTagRun(tags);
  }

  #drop(namespaceId: number, keyId: string, keyLength: number): void {
    const tags = this.#tagsByKey.get(keyId);
    if (tags === undefined) return;
    this.#tagsByKey.delete(keyId);
    this.#tagged[namespaceId]!--;
    const prefix = String.fromCharCode(namespaceId);
    for (const tag of tags) {
      const tagId = prefix + tag;
      const keys = this.#keysByTag.get(tagId);
      if (keys === undefined) continue;
      keys.delete(keyId);
      if (keys.size === 0) this.#keysByTag.delete(tagId);
    }
    this.#account(namespaceId, -tagRecordBytes(keyLength, tags));
  }

  #account(namespaceId: number, bytes: number): void {
    const stats = this.#table.f64;
    stats[namespaceBytesDouble(namespaceId)] = stats[namespaceBytesDouble(namespaceId)]! + bytes;
  }
}

const noTags: readonly string[] = [];

/** Namespace id as one char, then the key's bytes as latin1 (one char per byte, so it maps back exactly). */
export function keyIdOf(namespaceId: number, bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(namespaceId) + Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('latin1');
}
