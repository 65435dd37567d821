// The in-process data model shared by the engine, the server and the tests. Wire encodings live in
// wire/; the shard-internal batch encoding lives in engine/layout/batch-layout.ts.

import type { Status } from './status';

/** Keys are bytes; a string is taken as its UTF-8 encoding. */
export type Key = Uint8Array | string;
export type Value = Uint8Array | string;

export type PutMode = 'upsert' | 'create' | 'update';
export type NamespaceMode = 'store' | 'cache';
/**
 * What a write waits for before it is answered (DESIGN invariant 5): `memory` = applied by its
 * shard; `disk` = its WAL record is durable per the fsync policy; `replica` = durable here and
 * acknowledged (durable) by minReplicas replicas, else NotEnoughReplicas after replicaAckTimeoutMs.
 */
export type AckPolicy = 'memory' | 'disk' | 'replica';

export interface NamespaceConfig {
  name: string;
  /** `store`: a full namespace rejects writes with OutOfMemory. `cache`: it evicts (sampled LRU). */
  mode: NamespaceMode;
  ack: AckPolicy;
  /** Record bytes (slot sizes) the namespace may hold across all shards. */
  memoryLimitBytes: number;
  /** TTL applied when a put or touch gives none; 0 = records never expire. */
  defaultTtlSec: number;
  maxKeyBytes: number;
  maxValueBytes: number;
  /** HTTP caching headers for the namespace's records (wire/server/cache-control.ts); none when absent. */
  cache?: NamespaceCachePolicy;
}

/**
 * The Cache-Control an HTTP GET of a record gets (seconds). maxAge applies to records without a
 * TTL ("no-cache": caches must revalidate); a record with a TTL gets max-age = the seconds it has left.
 */
export interface NamespaceCachePolicy {
  maxAge?: number | 'no-cache';
  sMaxAge?: number;
  staleWhileRevalidate?: number;
  staleIfError?: number;
  /** Content-addressed keys: a version never changes under its key. */
  immutable?: boolean;
}

/**
 * ttl on put: undefined = the namespace default, 0 = never expires, n > 0 = n seconds from now.
 * generation starts at 1 for a new record and grows by 1 per write; ifGeneration = 0 means no check.
 */
export type Op =
  | { op: 'get'; ns: string; key: Key }
  | { op: 'head'; ns: string; key: Key }
  | {
      op: 'put';
      ns: string;
      key: Key;
      value: Value;
      mode?: PutMode;
      ifGeneration?: number;
      ttl?: number;
      contentType?: string;
      /** Surrogate keys (layout/surrogate-keys.ts); they replace the record's tags. Absent = none. */
      tags?: readonly string[];
      /** The record's own HTTP Cache-Control, served back as given (stored-content-type.ts). */
      cacheControl?: string;
    }
  | { op: 'delete'; ns: string; key: Key; ifGeneration?: number }
  | { op: 'touch'; ns: string; key: Key; ttl?: number };

export type OpName = Op['op'];

export interface ScanOp {
  op: 'scan';
  ns: string;
  prefix?: Key;
  /** 1..scanLimitMax; absent = scanLimitDefault. */
  limit?: number;
  cursor?: string;
  /** Default true. */
  values?: boolean;
}

/** Subscribes to one key, to a key prefix, or (neither given) to the whole namespace. */
export interface SubscribeOp {
  op: 'subscribe';
  /** Chosen by the client: 1..2^32-1, unique among its subscriptions on the connection. */
  subId: number;
  ns: string;
  key?: Key;
  prefix?: Key;
  /** Replay every retained change after this LSN; absent = changes from now on. */
  fromLsn?: number;
  /** Default true. */
  values?: boolean;
  /**
   * A surrogate key (layout/surrogate-keys.ts): only changes whose tags include it (with key or
   * prefix too: of those keys): puts whose new tags include it, and removals (delete, expired,
   * evicted) of records that carried it. Touches carry no tags and are not delivered.
   */
  tag?: string;
}

export interface UnsubscribeOp {
  op: 'unsubscribe';
  subId: number;
}

/**
 * Deletes every record under a non-empty prefix, or every record carrying any of the tags (give
 * one of the two), each deletion an ordinary change; answers how many it deleted.
 */
export interface PurgeOp {
  op: 'purge';
  ns: string;
  prefix?: Key;
  tags?: readonly string[];
}

export type WireOp = Op | ScanOp | SubscribeOp | UnsubscribeOp | PurgeOp;
export type WireOpName = WireOp['op'];

/**
 * The one record-metadata type: what every record carries besides key and value. The numeric part
 * (RecordStamp) is what the table, journal and batch encodings store in fixed fields; the content
 * type travels as bytes beside them.
 */
export interface RecordStamp {
  /** Starts at 1 for a new record, +1 per write: use it as ifGeneration for a safe update. */
  generation: number;
  /** Seconds since the epoch; 0 = never. */
  expiry: number;
  /** Milliseconds since the epoch. */
  lastModified: number;
}

export interface RecordMeta extends RecordStamp {
  contentType: string;
}

/**
 * One result per op. `value` is set for a successful get only. For put, `created` tells whether
 * the key was absent before. Metadata fields are 0/'' when the status is not Ok.
 */
export interface OpResult extends RecordMeta {
  status: Status;
  value: Uint8Array | null;
  created: boolean;
  /** get / head: the record's own Cache-Control, when its writer stored one. */
  cacheControl?: string;
}

export interface ScanOptions {
  prefix?: Key;
  /** Records per page, 1..scanLimitMax (engine/layout/limits.ts); default 100. */
  limit?: number;
  /** The opaque cursor of the previous page; absent for the first. */
  cursor?: string;
  /** Return values too (default true). */
  values?: boolean;
}

export interface ScannedRecord extends RecordMeta {
  key: Uint8Array;
  value: Uint8Array | null;
  /**
   * The value's length in bytes, with or without `values`: set by the engine's scan (HTTP listings
   * show it); the WebSocket scan response does not carry it.
   */
  size?: number;
}

export interface ScanPage {
  records: ScannedRecord[];
  /** null when the scan is complete. */
  cursor: string | null;
}

/** `touch` changes only the expiry (the generation stays, so ETags stay valid). */
export type ChangeKind = 'put' | 'delete' | 'touch' | 'expired' | 'evicted';

/** One entry of the node-wide ordered change log. */
export interface Change extends RecordMeta {
  lsn: number;
  kind: ChangeKind;
  ns: string;
  key: Uint8Array;
  /** The new value for `put`; null otherwise. */
  value: Uint8Array | null;
  /**
   * Surrogate keys joined by spaces (ASCII bytes, layout/surrogate-keys.ts): a put's new ones, or
   * for delete, expired and evicted the ones the removed record had; absent or null = none (touch: always).
   */
  readonly tags?: Uint8Array | null;
}

/** What `changes.readFrom` answers when the asked-for LSN has left the retained window. */
export interface ChangeGap {
  gap: true;
  /** The oldest LSN still held; a resync must start from a full read. */
  oldestLsn: number;
}

export interface NamespaceStats {
  name: string;
  mode: NamespaceMode;
  records: number;
  bytes: number;
  memoryLimitBytes: number;
  /** Records evicted (cache mode) since start, and records removed because their TTL passed. */
  evictions: number;
  expirations: number;
}

export interface EngineStats {
  shards: number;
  partitions: number;
  namespaces: NamespaceStats[];
  lastLsn: number;
  shardRestarts: number;
  /** Bytes of SharedArrayBuffer memory in use across shards (tables and journals). */
  tableBytes: number;
}
