// One connection's subscriptions, as the hub sees them. Data and bookkeeping only: the hub
// (subscription-hub.ts) decides when a session goes live, falls behind or catches up.
//
// Vocabulary, used by the hub and its tests:
//   replaying  a subscription that is sending its own past (subId-tagged frames from the change
//              log, from its fromLsn) and has not yet joined the connection's shared stream;
//   joined     a subscription in the shared stream: its events arrive with subId 0, either live
//              through uWS topics or from the change log while the connection catches up;
//   live       the connection is subscribed to the topics of its joined subscriptions, so every
//              change reaches it as it is published;
//   catching up  the connection fell behind (its unread output passed the limit), so it was taken
//              off its topics, and the hub sends it the changes after `cursor` from the change log
//              as its socket drains, until it reaches the newest change and goes live again.

import type { SubscriptionFilter } from './topics';
import { valuesSuffix } from './topics';
import type { ResultInput } from '../../codec/wire-types';

/** What the hub needs of a uWS WebSocket (the real one satisfies it). */
export interface SubscriberSocket {
  subscribe(topic: string): boolean;
  unsubscribe(topic: string): boolean;
  /** uWS: 1 sent, 0 buffered (backpressure), 2 dropped (over maxBackpressure). */
  send(message: Uint8Array, isBinary: boolean, compress: boolean): number;
  getBufferedAmount(): number;
}

/** Joined subscriptions of one base topic: how many want values, how many do not. */
export interface TopicCount {
  plain: number;
  valued: number;
}

/** Which variant of a base topic a socket listens on: none, without values, with values. */
export type TopicVariant = 0 | 1 | 2;
export const variantNone: TopicVariant = 0;
export const variantPlain: TopicVariant = 1;
export const variantValued: TopicVariant = 2;

/** With values as soon as one subscription on the base wants them; the client strips the rest. */
export function variantOf(count: TopicCount): TopicVariant {
  if (count.valued > 0) return variantValued;
  return count.plain > 0 ? variantPlain : variantNone;
}

export function variantTopic(base: string, variant: TopicVariant): string {
  return variant === variantValued ? base + valuesSuffix : base;
}

export interface Subscription {
  readonly subId: number;
  readonly filter: SubscriptionFilter;
  /** The base topic it listens on (the containing level for a prefix not ending in `/`). */
  readonly topic: string;
  readonly values: boolean;
  joined: boolean;
  /** While replaying: every matching change with lsn <= replayedLsn has been sent to it. */
  replayedLsn: number;
  /** Once joined: the join LSN X its answer carried (the shared stream covers it after X). */
  joinedLsn: number;
  /** Answers the subscribe request once the subscription joins (null once answered). */
  finish: ((result: ResultInput) => void) | null;
}

export class SubscriberSession {
  readonly socket: SubscriberSocket;
  readonly id: number;
  readonly subscriptions = new Map<number, Subscription>();
  /** Base topic → joined subscriptions on it. Entries are deleted when both counts reach 0. */
  readonly topics = new Map<string, TopicCount>();
  /** Subscriptions still replaying (a subset of `subscriptions`). */
  replaying = 0;
  live = true;
  /** While catching up: every matching change with lsn <= cursor has been sent. */
  cursor = 0;
  /** Subscribed to the anchor topic (see subscription-hub.ts). */
  anchored = false;
  closed = false;

  constructor(socket: SubscriberSocket, id: number) {
    this.socket = socket;
    this.id = id;
  }

  get joined(): number {
    return this.subscriptions.size - this.replaying;
  }
}
