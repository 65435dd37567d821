// A client's subscriptions: starts each on the server, routes event frames to them, and starts
// them again after a reconnect, each from the last LSN it delivered.
//
// Routing: a frame with a sub id goes to that attempt (EventRouter); a frame with sub id 0 was
// published to a topic and carries no subscription, so it goes to every subscription of its
// namespace, each of which keeps it only if its key or prefix matches (SubscriptionFeed.shared).
//
// Each attempt (a subscribe request) gets a fresh sub id, so frames of an attempt the client gave
// up on (a dropped connection, a pause, a restart) can never be mistaken for the current one.

import { Status } from '../../engine/layout/status';
import type { Change, ChangeGap } from '../../engine/layout/types';
import type { EventBatchFrame, EventFrame, WireOp, WireResult } from '../codec/wire-types';
import type { EventRouter } from './event-router';
import { Subscription, type SubscriptionOwner } from './subscription';
import type { SubscribeOptions } from './subscription-types';
import { TesseraError } from './tessera-error';

export interface SubscriptionTransport {
  /** Sends one op as one request; rejects with a TesseraError when the request itself fails. */
  request(op: WireOp): Promise<WireResult>;
  /** Whether the connection is open now (requests would be sent at once). */
  isOpen(): boolean;
}

const subIdMax = 0xffff_ffff;
/**
 * A node that restarted answers subscribe with Recovering while it replays its data dir: the
 * subscription asks again this often, at most recoveringRetriesMax times in a row (10 minutes of
 * recovery) before it fails with the Recovering error.
 */
const recoveringRetryMs = 250;
const recoveringRetriesMax = 2400;

export class SubscriptionSet implements SubscriptionOwner {
  readonly #router: EventRouter;
  readonly #transport: SubscriptionTransport;
  /** Namespace → its subscriptions, for frames published to topics. */
  readonly #byNamespace = new Map<string, Set<Subscription>>();
  /** Sub ids of current attempts. */
  readonly #subIds = new Set<number>();
  /** Subscriptions answered Recovering in a row (see recoveringRetryMs). */
  readonly #recoveringRetries = new Map<Subscription, number>();
  #nextSubId = 1;
  #closed = false;

  constructor(router: EventRouter, transport: SubscriptionTransport) {
    this.#router = router;
    this.#transport = transport;
  }

  get size(): number {
    let size = 0;
    for (const set of this.#byNamespace.values()) size += set.size;
    return size;
  }

  add(options: SubscribeOptions): Subscription {
    const subscription = new Subscription(this, options);
    if (this.#closed) {
      subscription.end(TesseraError.client('ClientClosed'));
      return subscription;
    }
    let set = this.#byNamespace.get(subscription.ns);
    if (set === undefined) {
      set = new Set();
      this.#byNamespace.set(subscription.ns, set);
    }
    set.add(subscription);
    if (this.#transport.isOpen()) this.#start(subscription);
    return subscription;
  }

  /** An event frame, or a batch of them, in the order the server sent them. */
  routeFrame(frame: EventFrame | EventBatchFrame): void {
    if (frame.type === 'event') {
      this.#routeEvent(frame);
      return;
    }
    // Bounded by eventsPerBatchMax (the decoder refuses longer batches).
    for (const event of frame.events) this.#routeEvent(event);
  }

  #routeEvent(event: EventFrame): void {
    // Sub id 0: published to a topic, for whichever subscriptions match its key.
    if (event.subId === 0) this.routeShared(event.change);
    else this.#router.route(event);
  }

  /** A frame published to a topic (sub id 0). */
  routeShared(change: Change | ChangeGap): void {
    if ('gap' in change) return; // gaps always name their subscription
    const set = this.#byNamespace.get(change.ns);
    if (set === undefined) return;
    // Bounded by the namespace's subscriptions on this client.
    for (const subscription of set) subscription.feed.shared(change, subscription.emit);
  }

  /** The connection dropped: every attempt is void; frames of it are ignored from now on. */
  connectionLost(): void {
    for (const set of this.#byNamespace.values()) {
      for (const subscription of set) this.#abandon(subscription);
    }
  }

  /** A connection opened (the first or a reconnect): start every subscription not paused. */
  connectionOpened(): void {
    for (const set of this.#byNamespace.values()) {
      for (const subscription of set) if (!subscription.paused) this.#start(subscription);
    }
  }

  /** The client closed: every iteration ends. */
  closeAll(): void {
    this.#closed = true;
    for (const set of this.#byNamespace.values()) {
      for (const subscription of set) {
        this.#abandon(subscription);
        subscription.end(null);
      }
    }
    this.#byNamespace.clear();
  }

  /** The whole client lost its connection for good (reconnect off): iterations fail. */
  failAll(error: TesseraError): void {
    this.#closed = true;
    for (const set of this.#byNamespace.values()) {
      for (const subscription of set) {
        this.#abandon(subscription);
        subscription.end(error);
      }
    }
    this.#byNamespace.clear();
  }

  // ---- SubscriptionOwner ----

  pause(subscription: Subscription): void {
    this.#stop(subscription);
  }

  resume(subscription: Subscription): void {
    subscription.unpause();
    if (this.#transport.isOpen() && !subscription.ended) this.#start(subscription);
  }

  remove(subscription: Subscription): void {
    this.#recoveringRetries.delete(subscription);
    this.#stop(subscription);
    this.#byNamespace.get(subscription.ns)?.delete(subscription);
  }

  // ---- attempts ----

  #start(subscription: Subscription): void {
    const subId = this.#allocateSubId();
    const feed = subscription.feed;
    this.#subIds.add(subId);
    this.#router.on(subId, (frame) => feed.own(frame, subscription.emit));
    feed.begin(subId);
    const position = feed.position;
    const op: WireOp = {
      op: 'subscribe',
      subId,
      ns: subscription.ns,
      key: subscription.key,
      prefix: subscription.prefix,
      fromLsn: position ?? undefined,
      values: subscription.values,
    };
    if (subscription.tag !== undefined) op.tag = subscription.tag;
    this.#transport.request(op).then(
      (result) => this.#answered(subscription, subId, result),
      (error: unknown) => this.#requestFailed(subscription, subId, error),
    );
  }

  #answered(subscription: Subscription, subId: number, result: WireResult): void {
    if (subscription.feed.subId !== subId) return; // an attempt given up on
    if (result.status === Status.ShuttingDown) return; // the connection is about to drop: resume after
    if (result.status === Status.Recovering && this.#retryWhenRecovered(subscription, subId)) return;
    this.#recoveringRetries.delete(subscription);
    if (result.status !== Status.Ok) {
      this.#fail(subscription, TesseraError.fromStatus(result.status, result.message));
      return;
    }
    const joinedLsn = Number(result.cursor);
    if (result.cursor === null || !Number.isSafeInteger(joinedLsn) || joinedLsn < 0) {
      this.#fail(subscription, TesseraError.client('ProtocolError', `a subscribe answer without a join LSN (cursor ${result.cursor})`));
      return;
    }
    const complete = subscription.feed.joined(joinedLsn, subscription.emit);
    subscription.joined(joinedLsn);
    if (!complete) this.#restart(subscription);
  }

  /** Asks again shortly, from the same position; false once the retries are used up. */
  #retryWhenRecovered(subscription: Subscription, subId: number): boolean {
    const retries = this.#recoveringRetries.get(subscription) ?? 0;
    if (retries >= recoveringRetriesMax) return false;
    this.#recoveringRetries.set(subscription, retries + 1);
    const timer = setTimeout(() => {
      if (subscription.feed.subId === subId) this.#restart(subscription);
    }, recoveringRetryMs);
    // Node: a pending retry must not keep a process alive that has nothing else to do.
    (timer as { unref?: () => void }).unref?.();
    return true;
  }

  #requestFailed(subscription: Subscription, subId: number, error: unknown): void {
    if (subscription.feed.subId !== subId) return;
    const failure = error instanceof TesseraError ? error : TesseraError.client('ProtocolError', String(error));
    // The connection dropped under it: connectionOpened starts it again.
    if (failure.status === 'ConnectionLost') return;
    // No answer in time (a long replay on a slow link): start over from the position reached.
    if (failure.status === 'Timeout') {
      this.#restart(subscription);
      return;
    }
    this.#fail(subscription, failure);
  }

  #restart(subscription: Subscription): void {
    this.#stop(subscription);
    if (this.#transport.isOpen() && !subscription.ended && !subscription.paused) this.#start(subscription);
  }

  /** Gives up the current attempt: unsubscribes it on the server if the connection is open. */
  #stop(subscription: Subscription): void {
    const subId = subscription.feed.subId;
    this.#abandon(subscription);
    if (subId !== 0 && this.#transport.isOpen()) {
      this.#transport.request({ op: 'unsubscribe', subId }).catch(() => undefined);
    }
  }

  #abandon(subscription: Subscription): void {
    const subId = subscription.feed.subId;
    if (subId !== 0) {
      this.#router.off(subId);
      this.#subIds.delete(subId);
    }
    subscription.feed.lost();
  }

  #fail(subscription: Subscription, error: TesseraError): void {
    this.#recoveringRetries.delete(subscription);
    this.#stop(subscription);
    this.#byNamespace.get(subscription.ns)?.delete(subscription);
    subscription.end(error);
  }

  #allocateSubId(): number {
    // Bounded: at most one lap of the id space, and ids in use are far fewer.
    for (let attempt = 0; attempt < subIdMax; attempt++) {
      const subId = this.#nextSubId;
      this.#nextSubId = subId >= subIdMax ? 1 : subId + 1;
      if (!this.#subIds.has(subId)) return subId;
    }
    throw new Error('no free subscription id');
  }
}
