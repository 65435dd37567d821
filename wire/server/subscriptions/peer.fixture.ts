// Test support (not a test): the client end of a fake connection. It reads a FakeSocket's wire and
// feeds the client's own SubscriptionFeed with it, so the hub tests check the server and the
// client halves of the protocol together, in memory, with no timers.

import { decodeServerFrame } from '../../codec/decode-server-frame';
import type { EventFrame, ResultInput, SubscribeOp } from '../../codec/wire-types';
import { SubscriptionFeed } from '../../client/subscription-feed';
import type { SubscriptionEvent } from '../../client/subscription-types';
import type { SubscriberSession } from './subscriber-session';
import type { SubscriptionHub } from './subscription-hub';
import { FakeSocket, type FakeBroker } from './fake-uws.fixture';
import { keyBytes } from './topics';

export interface PeerSubscription {
  readonly op: SubscribeOp;
  readonly feed: SubscriptionFeed;
  readonly events: SubscriptionEvent[];
  /** The answer's status once it has been read (null before). */
  status: number | null;
  joinedLsn: number | null;
  unsubscribed: boolean;
}

export class TestPeer {
  readonly socket: FakeSocket;
  readonly session: SubscriberSession;
  readonly subscriptions: PeerSubscription[] = [];
  readonly #bySubId = new Map<number, PeerSubscription>();
  readonly #hub: SubscriptionHub;
  #nextSubId = 1;
  /** Answers settled but not yet on the wire (deferAnswers): the endpoint flushes once per turn. */
  readonly #deferred: { subId: number; result: ResultInput }[] = [];
  /** Hold answers until flushAnswers(), as the endpoint's outbox does until setImmediate. */
  deferAnswers = false;

  constructor(hub: SubscriptionHub, broker: FakeBroker) {
    this.#hub = hub;
    this.socket = new FakeSocket(broker);
    this.session = hub.open(this.socket);
  }

  /** Sends a subscribe; its answer goes on the wire when it settles (as the endpoint would send it). */
  subscribe(options: Omit<SubscribeOp, 'op' | 'subId'>): PeerSubscription {
    const op: SubscribeOp = { op: 'subscribe', subId: this.#nextSubId++, ...options };
    const feed = new SubscriptionFeed(
      { ns: op.ns, key: op.key === undefined ? null : keyBytes(op.key), prefix: op.prefix === undefined ? null : keyBytes(op.prefix) },
      op.values ?? true,
      op.fromLsn ?? null,
    );
    feed.begin(op.subId);
    const subscription: PeerSubscription = { op, feed, events: [], status: null, joinedLsn: null, unsubscribed: false };
    this.subscriptions.push(subscription);
    this.#bySubId.set(op.subId, subscription);
    const result = this.#hub.subscribe(this.session, op);
    if (result instanceof Promise) void result.then((settled) => this.#answer(op.subId, settled));
    else this.#answer(op.subId, result);
    return subscription;
  }

  unsubscribe(subscription: PeerSubscription): ResultInput {
    subscription.unsubscribed = true;
    subscription.feed.lost();
    this.#bySubId.delete(subscription.op.subId);
    return this.#hub.unsubscribe(this.session, { op: 'unsubscribe', subId: subscription.op.subId });
  }

  /** Reads up to `count` wire items and feeds them to the subscriptions. */
  read(count?: number): number {
    const items = this.socket.read(count);
    for (const item of items) {
      if ('answer' in item) {
        this.#onAnswer(item.answer, item.result);
        continue;
      }
      const frame = decodeServerFrame(item.frame);
      if (frame.type === 'event') this.#route(frame);
      else if (frame.type === 'events') for (const event of frame.events) this.#route(event);
      else throw new Error(`not an event: ${JSON.stringify(frame)}`);
    }
    return items.length;
  }

  #route(frame: EventFrame): void {
    if (frame.subId === 0) {
      for (const subscription of this.#bySubId.values()) subscription.feed.shared(frame.change, (event) => subscription.events.push(event) > 0);
    } else {
      const subscription = this.#bySubId.get(frame.subId);
      subscription?.feed.own(frame, (event) => subscription.events.push(event) > 0);
    }
  }

  flushAnswers(): void {
    for (const { subId, result } of this.#deferred.splice(0)) this.socket.answer(subId, result);
  }

  close(): void {
    this.socket.close();
    this.#hub.close(this.session);
  }

  #answer(subId: number, result: ResultInput): void {
    if (this.session.closed) return;
    if (this.deferAnswers) this.#deferred.push({ subId, result });
    else this.socket.answer(subId, result);
  }

  #onAnswer(subId: number, result: ResultInput): void {
    const subscription = this.#bySubId.get(subId);
    if (subscription === undefined) return;
    if (!('records' in result)) {
      subscription.status = result.status;
      return;
    }
    subscription.status = 0;
    subscription.joinedLsn = Number(result.cursor);
    const complete = subscription.feed.joined(subscription.joinedLsn, (event) => subscription.events.push(event) > 0);
    if (!complete) throw new Error('held frames overflowed in a test');
  }
}
