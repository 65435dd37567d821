// The public shapes of db.subscribe(): its options and the events it yields.

import type { ChangeKind, Key, RecordMeta } from '../../engine/layout/types';

export interface SubscribeOptions {
  ns: string;
  /** One key. Give key or prefix, not both; neither = the whole namespace. */
  key?: Key;
  /**
   * Keys starting with these bytes. Cheapest when it ends at a segment boundary (`articles/2026/`):
   * the server then sends only matching keys. Any other prefix works too, but the server sends the
   * whole containing level (`articles/` for `articles/20`) and the client drops the rest.
   */
  prefix?: Key;
  /**
   * A surrogate key (tag, 1..64 token characters): only the changes of records carrying it (with
   * key or prefix: of those keys): puts whose new tags include it, and deletes, expiries and
   * evictions (purges included) of records that carried it. Not delivered: touches (a touch
   * carries no tags) and a put that drops the tag (the record no longer carries it). An invalid
   * tag fails the subscription with InvalidArgument.
   */
  tag?: string;
  /** Replay every change after this LSN first (the window permitting, else a Gap event); absent = from now. */
  fromLsn?: number;
  /** Deliver values with put events (default true). */
  values?: boolean;
  /**
   * Events held for a consumer that has not asked for them yet (default 10 000). When it is full
   * the subscription pauses on the server and resumes from its last LSN once the consumer has
   * taken half of them: a slow consumer costs bounded memory and loses nothing.
   */
  queueMax?: number;
}

/** One change, in LSN order per subscription. `key` and `value` are views into the received frame. */
export interface ChangeEvent extends RecordMeta {
  kind: ChangeKind;
  lsn: number;
  ns: string;
  key: Uint8Array;
  /** The new value of a put, when the subscription asked for values; else null. */
  value: Uint8Array | null;
  /** A put's new tags (surrogate keys) or a removed record's, when it has any; absent otherwise. */
  tags?: string[];
}

/**
 * The changes after the subscription's last LSN and before `oldestLsn` are no longer held by the
 * server (its change log window moved on, or it restarted): re-read what you need. The events
 * after a gap continue from `oldestLsn`; `lsn` is oldestLsn - 1, the position the stream resumes from.
 */
export interface GapEvent {
  kind: 'gap';
  lsn: number;
  oldestLsn: number;
  ns: string;
  key: null;
  value: null;
}

export type SubscriptionEvent = ChangeEvent | GapEvent;
