// One subscription's protocol state on the client, with no socket: which frames it accepts, in
// what order, and the LSN it has delivered up to. subscription-set.ts feeds it frames; the server
// side of the same protocol is wire/server/subscriptions/subscription-hub.ts.
//
// Frames a subscription sees, per attempt (one subscribe request, one sub id):
//   own      subId = its id: replayed changes and Gap events, sent before the answer
//   shared   subId 0: changes published to a topic (or resent while the connection catches up);
//            they carry no subscription, so every subscription whose ns/key/prefix matches takes them
//   answer   Ok with cursor X: the connection's shared stream carries every matching change after X
//
//   idle ──begin(subId)──► pending ──joined(X)──► live
//     ▲                      │ shared frames are held (bounded) until X is known; then those
//     └──── lost() ──────────┘ with lsn <= X are dropped (the replay covered them)
//
// Delivered LSNs only grow: anything at or below `position` is a duplicate (a change published to
// two topics the connection listens on, or replayed again after a reconnect) and is dropped. A
// Gap moves the position to oldestLsn - 1, even backwards: the server's log restarted or moved on.
//
// `emit` may refuse an event (the consumer's queue is full): the feed then goes idle without
// moving its position past the refused event, and the owner resubscribes from there later.

import { decodeTagRun, tagRunIncludes } from '../../engine/layout/surrogate-keys';
import type { ChangeGap, Change } from '../../engine/layout/types';
import type { EventFrame } from '../codec/wire-types';
import type { ChangeEvent, SubscriptionEvent } from './subscription-types';

export interface FeedFilter {
  ns: string;
  key: Uint8Array | null;
  prefix: Uint8Array | null;
  /** Only changes whose tags include this one (absent or null: any change). */
  tag?: string | null;
}

/** Shared frames held per attempt until the answer: one event-loop turn's worth on the server. */
export const heldFramesMax = 4096;

export type FeedState = 'idle' | 'pending' | 'live';

/** Takes one event; false refuses it (see above). */
export type FeedEmit = (event: SubscriptionEvent) => boolean;

export class SubscriptionFeed {
  readonly filter: FeedFilter;
  readonly values: boolean;
  #state: FeedState = 'idle';
  #subId = 0;
  /** Every matching change with lsn <= position has been delivered; null = "from now", not yet joined. */
  #position: number | null;
  #held: Change[] = [];
  /** More shared frames came before the answer than heldFramesMax: resubscribe after joining. */
  #heldOverflow = false;

  constructor(filter: FeedFilter, values: boolean, fromLsn: number | null) {
    this.filter = filter;
    this.values = values;
    this.#position = fromLsn;
  }

  get state(): FeedState {
    return this.#state;
  }

  get subId(): number {
    return this.#subId;
  }

  get position(): number | null {
    return this.#position;
  }

  /** A subscribe request with this sub id was sent (fromLsn = position). */
  begin(subId: number): void {
    if (subId === 0) throw new RangeError('sub id 0 is reserved for topic events');
    this.#state = 'pending';
    this.#subId = subId;
    this.#held = [];
    this.#heldOverflow = false;
  }

  /** The connection dropped or the subscription paused: frames are ignored until the next begin. */
  lost(): void {
    this.#state = 'idle';
    this.#subId = 0;
    this.#held = [];
    this.#heldOverflow = false;
  }

  /** A frame tagged with this attempt's sub id: replay or Gap. */
  own(frame: EventFrame, emit: FeedEmit): void {
    if (this.#state === 'idle' || frame.subId !== this.#subId) return;
    if ('gap' in frame.change) {
      this.#gap(frame.change, emit);
      return;
    }
    this.#deliver(frame.change, emit);
  }

  /**
   * A shared (subId 0) frame; ignored unless it matches. A subscription with values also ignores a
   * put without its value: that frame came through another subscription's topic variant, and the
   * valued one comes through its own (a connection listens on the valued variant of every topic
   * one of its subscriptions wants values on).
   */
  shared(change: Change | ChangeGap, emit: FeedEmit): void {
    if ('gap' in change || !this.matches(change.ns, change.key, change.tags ?? null)) return;
    if (this.values && change.value === null && change.kind === 'put') return;
    if (this.#state === 'live') {
      this.#deliver(change, emit);
    } else if (this.#state === 'pending') {
      if (this.#held.length < heldFramesMax) this.#held.push(change);
      else this.#heldOverflow = true;
    }
  }

  /**
   * The answer: the shared stream covers everything after joinedLsn. Returns false when frames were
   * lost from the held buffer: the caller must resubscribe from `position` (which is joinedLsn).
   */
  joined(joinedLsn: number, emit: FeedEmit): boolean {
    if (this.#state !== 'pending') return true;
    this.#state = 'live';
    if (this.#position === null || this.#position < joinedLsn) this.#position = joinedLsn;
    const held = this.#held;
    this.#held = [];
    if (this.#heldOverflow) {
      this.#heldOverflow = false;
      return false;
    }
    // Bounded by heldFramesMax; stops if the consumer refuses one.
    for (const change of held) if (!this.#deliver(change, emit)) break;
    return true;
  }

  /** `tags`: the change's joined tag run (a put's new tags, a removed record's; null for none). */
  matches(ns: string, key: Uint8Array, tags: Uint8Array | null = null): boolean {
    const filter = this.filter;
    if (ns !== filter.ns) return false;
    const tag = filter.tag ?? null;
    if (tag !== null && (tags === null || !tagRunIncludes(tags, tag))) return false;
    if (filter.key !== null) return bytesEqual(filter.key, key);
    return filter.prefix === null || startsWith(key, filter.prefix);
  }

  /** Returns false when the consumer refused the event (the feed is idle then). */
  #deliver(change: Change, emit: FeedEmit): boolean {
    if (this.#position !== null && change.lsn <= this.#position) return true;
    const event: ChangeEvent = {
      kind: change.kind,
      lsn: change.lsn,
      ns: change.ns,
      key: change.key,
      generation: change.generation,
      expiry: change.expiry,
      lastModified: change.lastModified,
      contentType: change.contentType,
      value: this.values ? change.value : null,
    };
    // Only a change with tags gets the field (a put's new tags, a removed record's old ones).
    const tags = change.tags ?? null;
    if (tags !== null && tags.length > 0) event.tags = decodeTagRun(tags, 0, tags.length);
    const accepted = emit(event);
    if (!accepted) {
      this.lost();
      return false;
    }
    this.#position = change.lsn;
    return true;
  }

  #gap(gap: ChangeGap, emit: FeedEmit): void {
    const resumeLsn = gap.oldestLsn - 1;
    const accepted = emit({ kind: 'gap', lsn: resumeLsn, oldestLsn: gap.oldestLsn, ns: this.filter.ns, key: null, value: null });
    if (accepted) this.#position = resumeLsn;
    else this.lost();
  }
}

function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.byteLength !== right.byteLength) return false;
  for (let index = 0; index < left.byteLength; index++) if (left[index] !== right[index]) return false;
  return true;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.byteLength > bytes.byteLength) return false;
  for (let index = 0; index < prefix.byteLength; index++) if (bytes[index] !== prefix[index]) return false;
  return true;
}
