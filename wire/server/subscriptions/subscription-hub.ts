// Change subscriptions: the change log's listener publishes every change to uWS topics (topics.ts),
// and per connection the hub replays the past, joins subscriptions to the live stream, and takes
// slow connections off it. Runs on the main thread only.
//
//   engine.changes ──listener (sync, LSN order)──► encode once per variant ──► app.publish(topic)
//                                                                                  │ uWS, C++:
//   subscribe(fromLsn) ──► replay own past (subId S) ──► join ──► topics ◄─────────┘ one copy per
//        │ answer: cursor = X, the LSN after which the connection's shared stream   socket
//        ▼ (subId 0 frames) carries everything the subscription matches
//
// No gap, no duplicate (per subscription):
//   * The listener and every replay step run synchronously on this thread, so a subscription joins
//     its topics in the same tick as its replay reaches the newest change: every change after the
//     join point X is published to it, every change up to X was replayed (or had been published to
//     the connection before, which the client drops, see below).
//   * uWS keeps one socket's frames in call order across publish and send (a send first drains the
//     socket's queued topic frames), so a connection sees its shared stream in LSN order.
//   * The answer to subscribe carries X (as the result's `cursor`, in decimal). Until it arrives the
//     client holds the subId-0 frames that match the new subscription, then drops those <= X: they
//     were in flight before the join, and the replay (subId S) covered them. It also drops any
//     event with lsn <= the last it delivered, per subscription: replays after a reconnect, and a
//     change published to two topics a connection listens on (a key and its prefix), arrive twice.
//   * fromLsn older than the change log window: a Gap event (subId S, oldest LSN held), then the
//     changes from the oldest held on. fromLsn newer than the newest change (the log restarted
//     under the client): a Gap too, never silence.
//
// Slow subscribers: a sweep compares each live connection's unread output with
// subscriberBackpressureBytes, each time another quarter of that limit has been published (no
// socket can have grown by more than was published since the last sweep, so that bounds every
// socket to 1.25 × the limit, at a cost of one getBufferedAmount per connection per quarter limit
// published, not per change). A connection over the limit is taken off its topics (it had been sent every change up to the newest LSN: cursor) and
// catches up from the change log instead, at the pace its socket drains, sending only while its
// unread output is under half the limit; it rejoins its topics in the tick it reaches the newest
// change. If the window moves past its cursor first, each of its subscriptions gets a Gap event.
// So a slow or stopped reader costs at most about 1.25 × the limit in socket buffers, and the
// change log window, which is shared and bounded, holds the rest. The sweep runs in the check
// phase of the event-loop turn after the publishes: uWS hands published frames to the sockets in
// the prepare phase, so a sweep in the same turn would not see them yet. As a
// last resort uWS itself closes a socket whose output passes limits.backpressureBytesMax (code
// 1006); the client then resumes from its last LSN, so even that loses nothing silently.
//
// Coalescing (several events per frame): the listener encodes each change of a turn into the
// current run as it arrives (a listener's change is valid during the call only) and publishes the
// run at the end of the turn (a microtask after the change log's drain, before uWS hands frames
// to sockets in the next prepare phase, so it adds no latency), as one EventBatch frame: one
// encode per event and run (see #publishRun). Every hub entry point flushes first, so the rules
// above see each change published as it entered the log. A subscriber that is behind gets the
// same from the change log: each page of catch-up or replay goes out as batches (#sendBatch).
// One frame then carries what would have been many, which saves the client a WebSocket message,
// a verify and a dispatch per event, and uWS a frame per event per socket.
//
// Anchor topic: uWS frees a socket's subscriber record, with the frames queued for it in this
// tick, when it unsubscribes from its last topic (measured: those frames never arrive). Every
// socket that ever subscribes also joins the anchor topic, never published to, so its record and
// queued frames live until the socket closes.

import { fail } from '../../../engine/layout/assert';
import type { ChangeLogApi } from '../../../engine/front/engine-api';
import { Status } from '../../../engine/layout/status';
import type { Change, NamespaceConfig } from '../../../engine/layout/types';
import { EventRunBuilder, encodeEvent, encodeEvents, eventBatchBytesMax, eventBytesEstimate } from '../../codec/encode-event';
import { eventsPerBatchMax } from '../../codec/schema-layout';
import { validateOp } from '../../../engine/layout/validate-op';
import type { ResultInput, StatusResult, SubscribeOp, UnsubscribeOp } from '../../codec/wire-types';
import {
  SubscriberSession,
  variantNone,
  variantOf,
  variantTopic,
  type SubscriberSocket,
  type Subscription,
  type TopicCount,
  type TopicVariant,
} from './subscriber-session';
import { changeTopics, filterMatches, keyBytes, subscriptionTopic, type SubscriptionFilter } from './topics';

/** What the hub needs of the uWS app (TemplatedApp satisfies it). */
export interface TopicPublisher {
  /** Copies message before it returns (uWS's publish does): the hub reuses its bytes after. */
  publish(topic: string, message: Uint8Array, isBinary: boolean, compress: boolean): boolean;
}

export interface SubscriptionLimits {
  /** Unread output above which a live connection is taken off its topics to catch up from the log. */
  subscriberBackpressureBytes: number;
  /** Subscriptions one connection may hold. */
  subscriptionsPerConnectionMax: number;
}

export const subscriptionLimitsDefault: SubscriptionLimits = {
  subscriberBackpressureBytes: 8 * 1024 * 1024,
  subscriptionsPerConnectionMax: 1024,
};

export interface HubOptions {
  /** Tests drive sweep() and pump() themselves instead of timers. */
  manualTimers?: boolean;
  /** Default 2 ms: how often connections that are replaying or catching up get more. */
  pumpIntervalMs?: number;
  /** Told when a slow connection is switched from live delivery to catch-up (the server logs it). */
  onFellBehind?: (event: FellBehindEvent) => void;
  /**
   * Publish the changes of one turn together, several events per frame (default: true, false
   * with manualTimers). With manualTimers the test calls flush() where a turn would end.
   */
  coalesceChanges?: boolean;
}

export interface FellBehindEvent {
  /** The hub's id of the connection's subscriber session. */
  session: number;
  bufferedBytes: number;
  subscriptions: number;
  /** The LSN it had been sent through; it catches up from the change log after this one. */
  lastLsn: number;
}

export interface HubStats {
  sessions: number;
  subscriptions: number;
  /** Connections taken off their topics and catching up from the log right now. */
  catchingUp: number;
  framesPublished: number;
  /** Change events in framesPublished (a batch frame carries several), one per topic published to. */
  eventsPublished: number;
  /** Of framesPublished, those carrying several events (EventBatch). */
  batchesPublished: number;
  bytesPublished: number;
  framesSent: number;
  /** Of framesSent, those carrying several events (catch-up and replay pages). */
  batchesSent: number;
  /** Times a connection was taken off its topics for passing the limit. */
  fellBehind: number;
  gapsSent: number;
}

/** The topic no change is published to (no `:`, so no change topic can be named the same). */
const anchorTopic = 'anchor';
/** Changes read from the log per readFrom call while replaying or catching up. */
const replayPageChanges = 256;
/** Pages per connection per pump turn: bounds one turn's work whatever the socket absorbs. */
const replayPagesPerTurnMax = 16;
/** The records of a subscribe answer (a subscribe answers like a scan page: no records, a cursor). */
const emptyPage: never[] = [];
const frameCompress = false;
const frameBinary = true;

export class SubscriptionHub {
  readonly #changes: ChangeLogApi;
  readonly #publisher: TopicPublisher;
  readonly #namespaces: ReadonlyMap<string, NamespaceConfig>;
  readonly #limits: SubscriptionLimits;
  readonly #lowWaterBytes: number;
  readonly #sweepBytes: number;
  /** Bytes per catch-up or replay batch: a quarter of the low water mark, so a batch overshoots it little. */
  readonly #batchBytesMax: number;
  readonly #manualTimers: boolean;
  readonly #pumpIntervalMs: number;
  readonly #onFellBehind: ((event: FellBehindEvent) => void) | null;
  readonly #unlisten: () => void;
  /** Base topic → live sockets listening on each variant. */
  readonly #topics = new Map<string, TopicCount>();
  /** Namespace → live (socket, base topic) pairs in it: a change in a namespace nobody watches costs one lookup. */
  readonly #namespaceListeners = new Map<string, number>();
  readonly #sessions = new Set<SubscriberSession>();
  /** Sessions with work for the pump: catching up, or with subscriptions replaying. */
  readonly #pumping = new Set<SubscriberSession>();
  /** Scratch for changeTopics, reused by every change. */
  readonly #topicScratch: string[] = [];
  readonly #coalesceChanges: boolean;
  #flushQueued = false;
  /**
   * The run of this turn's changes not yet published (see "Coalescing" above), encoded as each
   * change arrives (a listener's change is valid during the call only), and its topics.
   */
  readonly #run = new EventRunBuilder();
  readonly #runTopics: string[] = [];
  #runBytes = 0;
  /** Scratch for #targetsOf: the variant topics with listeners of one change. */
  readonly #targetScratch: string[] = [];
  /** Scratch for catch-up and replay batches: changes and whether each goes with its value. */
  readonly #batch: Change[] = [];
  readonly #batchValues: boolean[] = [];
  #batchBytes = 0;
  #nextSessionId = 1;
  #bytesSinceSweep = 0;
  #sweepImmediate: ReturnType<typeof setImmediate> | null = null;
  #pumpTimer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  readonly #stats: HubStats = {
    sessions: 0,
    subscriptions: 0,
    catchingUp: 0,
    framesPublished: 0,
    eventsPublished: 0,
    batchesPublished: 0,
    bytesPublished: 0,
    framesSent: 0,
    batchesSent: 0,
    fellBehind: 0,
    gapsSent: 0,
  };

  constructor(
    changes: ChangeLogApi,
    publisher: TopicPublisher,
    namespaces: ReadonlyMap<string, NamespaceConfig>,
    limits: SubscriptionLimits = subscriptionLimitsDefault,
    options: HubOptions = {},
  ) {
    if (!(Number.isInteger(limits.subscriberBackpressureBytes) && limits.subscriberBackpressureBytes >= 1024)) {
      throw new RangeError('subscriberBackpressureBytes must be an integer >= 1 KiB');
    }
    if (!(Number.isInteger(limits.subscriptionsPerConnectionMax) && limits.subscriptionsPerConnectionMax >= 1)) {
      throw new RangeError('subscriptionsPerConnectionMax must be a positive integer');
    }
    this.#changes = changes;
    this.#publisher = publisher;
    this.#namespaces = namespaces;
    this.#limits = limits;
    this.#lowWaterBytes = limits.subscriberBackpressureBytes >>> 1;
    this.#sweepBytes = limits.subscriberBackpressureBytes >>> 2;
    this.#batchBytesMax = Math.min(eventBatchBytesMax, this.#lowWaterBytes >>> 2);
    this.#manualTimers = options.manualTimers ?? false;
    this.#pumpIntervalMs = options.pumpIntervalMs ?? 2;
    this.#onFellBehind = options.onFellBehind ?? null;
    this.#coalesceChanges = options.coalesceChanges ?? !this.#manualTimers;
    this.#unlisten = changes.subscribe((change) => this.#onChange(change));
  }

  /** A new connection's handle (the endpoint calls this when a WebSocket opens). */
  connect(socket: SubscriberSocket): ConnectionSubscriptions {
    return new ConnectionSubscriptions(this, socket);
  }

  /** A new connection's session. The socket must stay open until close(session). */
  open(socket: SubscriberSocket): SubscriberSession {
    const session = new SubscriberSession(socket, this.#nextSessionId++);
    this.#sessions.add(session);
    return session;
  }

  /** The connection closed: forget it. Its socket is not touched again (uWS forbids it). */
  close(session: SubscriberSession): void {
    if (session.closed) return;
    this.flush();
    session.closed = true;
    if (session.live) this.#forEachVariant(session, (base, variant) => this.#countTopic(base, variant, -1));
    for (const subscription of session.subscriptions.values()) this.#answer(subscription, closedResult);
    this.#stats.subscriptions -= session.subscriptions.size;
    session.subscriptions.clear();
    this.#sessions.delete(session);
    this.#pumping.delete(session);
  }

  /** Stops listening and answers subscriptions still replaying with ShuttingDown. */
  stop(): void {
    if (this.#stopped) return;
    this.flush();
    this.#stopped = true;
    this.#unlisten();
    for (const session of this.#sessions) {
      for (const subscription of session.subscriptions.values()) this.#answer(subscription, shuttingDownResult);
    }
    this.#pumping.clear();
    if (this.#sweepImmediate !== null) clearImmediate(this.#sweepImmediate);
    if (this.#pumpTimer !== null) clearTimeout(this.#pumpTimer);
    this.#sweepImmediate = null;
    this.#pumpTimer = null;
  }

  stats(): HubStats {
    let catchingUp = 0;
    for (const session of this.#sessions) if (!session.live) catchingUp++;
    return { ...this.#stats, sessions: this.#sessions.size, catchingUp };
  }

  /**
   * Starts a subscription. The answer is immediate when its replay fits in one turn (the common
   * case), else a promise settled when the replay has caught up and the subscription has joined.
   */
  subscribe(session: SubscriberSession, op: SubscribeOp): ResultInput | Promise<ResultInput> {
    const refused = this.#check(session, op);
    if (refused !== null) return refused;
    this.flush();
    const filter: SubscriptionFilter = {
      ns: op.ns,
      key: op.key === undefined ? null : keyBytes(op.key),
      prefix: op.prefix === undefined ? null : keyBytes(op.prefix),
      tag: op.tag ?? null,
    };
    const changes = this.#changes;
    const subscription: Subscription = {
      subId: op.subId,
      filter,
      topic: subscriptionTopic(filter).topic,
      values: op.values ?? true,
      joined: false,
      replayedLsn: op.fromLsn ?? changes.lastLsn,
      joinedLsn: -1,
      finish: null,
    };
    session.subscriptions.set(subscription.subId, subscription);
    session.replaying++;
    this.#stats.subscriptions++;
    if (!session.anchored) {
      session.socket.subscribe(anchorTopic);
      session.anchored = true;
    }
    if (subscription.replayedLsn > changes.lastLsn) {
      // A position this log never reached: the client's history is another log's (a restart).
      this.#sendGap(session, subscription.subId, changes.oldestLsn);
      subscription.replayedLsn = changes.oldestLsn - 1;
    }
    const joinedLsn = this.#replay(session, subscription);
    if (joinedLsn >= 0) return joinedResult(joinedLsn);
    this.#pumping.add(session);
    this.#schedulePump();
    return new Promise<ResultInput>((resolve) => {
      subscription.finish = resolve;
    });
  }

  unsubscribe(session: SubscriberSession, op: UnsubscribeOp): ResultInput {
    this.flush();
    const subscription = session.subscriptions.get(op.subId);
    if (subscription === undefined) return { status: Status.NotFound, message: `no subscription ${op.subId} on this connection` };
    session.subscriptions.delete(op.subId);
    this.#stats.subscriptions--;
    if (subscription.joined) {
      this.#removeTopic(session, subscription);
    } else {
      session.replaying--;
      this.#answer(subscription, { status: Status.NotFound, message: 'unsubscribed before its replay finished' });
    }
    // Nothing left to catch up for: the connection is trivially up to date.
    if (!session.live && session.joined === 0) this.#goLive(session);
    return okResult;
  }

  /** Takes every live connection whose unread output passed the limit off its topics. */
  sweep(): void {
    this.flush();
    this.#bytesSinceSweep = 0;
    const limit = this.#limits.subscriberBackpressureBytes;
    // Bounded by the open connections.
    for (const session of this.#sessions) {
      if (!session.live || session.joined === 0) continue;
      if (session.socket.getBufferedAmount() > limit) this.#fallBehind(session);
    }
  }

  /** One turn of replay and catch-up for every connection that has such work. */
  pump(): void {
    this.flush();
    // Bounded by the open connections; each does at most replayPagesPerTurnMax pages.
    for (const session of this.#pumping) {
      if (session.closed) {
        this.#pumping.delete(session);
        continue;
      }
      if (!session.live) this.#catchUp(session);
      if (session.replaying > 0) {
        for (const subscription of session.subscriptions.values()) {
          if (subscription.joined) continue;
          const joinedLsn = this.#replay(session, subscription);
          if (joinedLsn >= 0) this.#answer(subscription, joinedResult(joinedLsn));
        }
      }
      if (session.live && session.replaying === 0) this.#pumping.delete(session);
    }
    if (this.#pumping.size > 0) this.#schedulePump();
  }

  /**
   * Publishes the changes held since the last flush. The hub calls it on every entry point that
   * reads or changes who listens to what (so the rules above hold as if each change had been
   * published as it came), and a microtask calls it at the end of the turn's change log drain.
   */
  flush(): void {
    this.#publishRun();
  }

  // ---- the change log listener: the hot path ----

  #onChange(change: Change): void {
    if (this.#namespaceListeners.get(change.ns) === undefined) return;
    if (!this.#coalesceChanges) {
      this.#publishChange(change);
      return;
    }
    const targets = this.#targetScratch;
    const kind = this.#targetsOf(change, targets);
    if (kind === targetsNone) return;
    if (kind === targetsMixed) {
      this.#publishRun();
      this.#publishChange(change);
      return;
    }
    const withValue = kind === targetsValued;
    const bytes = eventBytesEstimate(change, withValue);
    const run = this.#run;
    if (run.count > 0 && (run.count >= eventsPerBatchMax || this.#runBytes + bytes > eventBatchBytesMax || !sameTopics(targets, this.#runTopics))) this.#publishRun();
    if (run.count === 0) for (const topic of targets) this.#runTopics.push(topic);
    run.add(0, change, withValue);
    this.#runBytes += bytes;
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#flushSoon);
    }
  }

  readonly #flushSoon = (): void => {
    this.#flushQueued = false;
    this.flush();
  };

  /** One change, one frame per variant, published to each of its topics with listeners. */
  #publishChange(change: Change): void {
    const topics = this.#topicScratch;
    const count = changeTopics(change.ns, keyTextOf(change), topics, tagsOf(change));
    let plain: Uint8Array | null = null;
    let valued: Uint8Array | null = null;
    for (let index = 0; index < count; index++) {
      const base = topics[index] as string;
      const listeners = this.#topics.get(base);
      if (listeners === undefined) continue;
      if (listeners.plain > 0) {
        plain ??= encodeEvent(0, change, false);
        this.#publish(base, plain);
      }
      if (listeners.valued > 0) {
        // A change without a value has one encoding for both variants.
        valued ??= change.value === null ? (plain ??= encodeEvent(0, change, false)) : encodeEvent(0, change, true);
        this.#publish(variantTopic(base, 2), valued);
      }
    }
  }

  /**
   * The run: consecutive changes published to exactly the same variant topics, all of one variant
   * (all with values or all without), go out as one frame (an EventBatch, or an Event for one),
   * encoded once and published to each of those topics. A socket on several of them gets the
   * same events again, which the client drops as duplicates, as it does today for a change
   * published to a key and its prefix. A change published to both variants goes out alone, after
   * the run before it, so every socket still sees its frames in LSN order and a subscription
   * never meets a later event before an earlier one it wants (a valued subscription skips a put
   * without its value, expecting it from its own variant's frame).
   */
  #publishRun(): void {
    const events = this.#run.count;
    if (events === 0) return;
    // A view of the run's builder, valid until its next add: publish copies it (uWS copies a
    // published message into its topic tree), so no copy per run is made here.
    const frame = this.#run.finishView();
    for (const topic of this.#runTopics) this.#publish(topic, frame, events);
    if (events > 1) this.#stats.batchesPublished += this.#runTopics.length;
    this.#runTopics.length = 0;
    this.#runBytes = 0;
  }

  /** Writes into `out` the variant topics with listeners a change goes to; says which variants. */
  #targetsOf(change: Change, out: string[]): TargetKind {
    out.length = 0;
    const topics = this.#topicScratch;
    const count = changeTopics(change.ns, keyTextOf(change), topics, tagsOf(change));
    let plain = false;
    let valued = false;
    for (let index = 0; index < count; index++) {
      const base = topics[index] as string;
      const listeners = this.#topics.get(base);
      if (listeners === undefined) continue;
      if (listeners.plain > 0) {
        out.push(base);
        plain = true;
      }
      if (listeners.valued > 0) {
        out.push(variantTopic(base, 2));
        valued = true;
      }
    }
    if (plain && valued) return targetsMixed;
    return valued ? targetsValued : plain ? targetsPlain : targetsNone;
  }

  #publish(topic: string, frame: Uint8Array, events = 1): void {
    this.#publisher.publish(topic, frame, frameBinary, frameCompress);
    this.#stats.framesPublished++;
    this.#stats.eventsPublished += events;
    this.#stats.bytesPublished += frame.byteLength;
    // A socket's unread output can grow by at most the bytes published since the last sweep.
    this.#bytesSinceSweep += frame.byteLength;
    this.#scheduleSweep();
  }

  // ---- subscribe: checks, replay, join ----

  #check(session: SubscriberSession, op: SubscribeOp): StatusResult | null {
    if (session.closed || this.#stopped) return shuttingDownResult;
    const status = validateOp(op, this.#namespaces.get(op.ns));
    if (status !== Status.Ok) return { status };
    if (session.subscriptions.has(op.subId)) {
      return { status: Status.InvalidArgument, message: `sub_id ${op.subId} is already in use on this connection` };
    }
    if (session.subscriptions.size >= this.#limits.subscriptionsPerConnectionMax) {
      return { status: Status.InvalidArgument, message: `more than ${this.#limits.subscriptionsPerConnectionMax} subscriptions on one connection` };
    }
    return null;
  }

  /**
   * Sends the subscription's past (subId-tagged) while the socket has room, at most
   * replayPagesPerTurnMax pages. Joins it once it has reached the connection's shared stream and
   * returns the join LSN X; returns -1 when there is more to send.
   */
  #replay(session: SubscriberSession, subscription: Subscription): number {
    const changes = this.#changes;
    const socket = session.socket;
    for (let page = 0; page < replayPagesPerTurnMax; page++) {
      const target = session.live ? changes.lastLsn : session.cursor;
      if (subscription.replayedLsn >= target) return this.#join(session, subscription, target);
      if (socket.getBufferedAmount() >= this.#lowWaterBytes) return -1;
      const read = changes.readFrom(subscription.replayedLsn, replayPageChanges);
      if ('gap' in read) {
        this.#sendGap(session, subscription.subId, read.oldestLsn);
        subscription.replayedLsn = read.oldestLsn - 1;
        continue;
      }
      subscription.replayedLsn = this.#sendMatching(session, subscription, read, target);
    }
    return -1;
  }

  /**
   * Sends the changes of `read` up to `target` that match, stopping early once the socket holds
   * lowWaterBytes (a page of large values must not land in its buffer at once). Returns the last
   * LSN covered.
   */
  #sendMatching(session: SubscriberSession, subscription: Subscription, read: readonly Change[], target: number): number {
    const { filter, subId, values } = subscription;
    if (this.#batch.length !== 0) fail('subscription invariant: a batch left unsent');
    let covered = subscription.replayedLsn;
    for (const change of read) {
      if (change.lsn > target) {
        covered = target;
        break;
      }
      covered = change.lsn;
      if (!filterMatches(filter, change.ns, change.key, tagsOf(change))) continue;
      // A batch went out: every change up to this one was sent or is in the new batch.
      if (this.#addToBatch(session, subId, change, values) && session.socket.getBufferedAmount() >= this.#lowWaterBytes) {
        this.#sendBatch(session, subId);
        return covered;
      }
    }
    this.#sendBatch(session, subId);
    return covered;
  }

  #join(session: SubscriberSession, subscription: Subscription, target: number): number {
    subscription.joined = true;
    session.replaying--;
    this.#addTopic(session, subscription);
    // The shared stream carries everything after `target`; a subscription that was ahead of a
    // connection still catching up drops the changes up to its own position itself.
    subscription.joinedLsn = Math.max(subscription.replayedLsn, target);
    return subscription.joinedLsn;
  }

  #answer(subscription: Subscription, result: ResultInput): void {
    const finish = subscription.finish;
    subscription.finish = null;
    finish?.(result);
  }

  // ---- topics of a session: which variant of each base the socket listens on ----

  #addTopic(session: SubscriberSession, subscription: Subscription): void {
    let count = session.topics.get(subscription.topic);
    if (count === undefined) {
      count = { plain: 0, valued: 0 };
      session.topics.set(subscription.topic, count);
    }
    const before = variantOf(count);
    if (subscription.values) count.valued++;
    else count.plain++;
    this.#switchVariant(session, subscription.topic, before, variantOf(count));
  }

  #removeTopic(session: SubscriberSession, subscription: Subscription): void {
    const count = session.topics.get(subscription.topic);
    if (count === undefined) fail(`subscription invariant: topic ${subscription.topic} not counted`);
    const before = variantOf(count);
    if (subscription.values) count.valued--;
    else count.plain--;
    if (count.valued < 0 || count.plain < 0) fail('subscription invariant: negative topic count');
    const after = variantOf(count);
    if (after === variantNone) session.topics.delete(subscription.topic);
    this.#switchVariant(session, subscription.topic, before, after);
  }

  /** Moves a live socket from one variant to another: the new one first, so nothing falls between. */
  #switchVariant(session: SubscriberSession, base: string, before: TopicVariant, after: TopicVariant): void {
    if (before === after || !session.live) return;
    if (after !== variantNone) {
      session.socket.subscribe(variantTopic(base, after));
      this.#countTopic(base, after, 1);
    }
    if (before !== variantNone) {
      session.socket.unsubscribe(variantTopic(base, before));
      this.#countTopic(base, before, -1);
    }
  }

  #forEachVariant(session: SubscriberSession, visit: (base: string, variant: TopicVariant) => void): void {
    for (const [base, count] of session.topics) {
      const variant = variantOf(count);
      if (variant !== variantNone) visit(base, variant);
    }
  }

  /** Adjusts the hub-wide count of live sockets on (base, variant). */
  #countTopic(base: string, variant: TopicVariant, delta: 1 | -1): void {
    let count = this.#topics.get(base);
    if (count === undefined) {
      count = { plain: 0, valued: 0 };
      this.#topics.set(base, count);
    }
    if (variant === 2) count.valued += delta;
    else count.plain += delta;
    if (count.plain < 0 || count.valued < 0) fail(`subscription invariant: negative socket count on ${base}`);
    if (count.plain === 0 && count.valued === 0) this.#topics.delete(base);
    const ns = namespaceOfTopic(base);
    const listeners = (this.#namespaceListeners.get(ns) ?? 0) + delta;
    if (listeners < 0) fail(`subscription invariant: negative listener count in ${ns}`);
    if (listeners === 0) this.#namespaceListeners.delete(ns);
    else this.#namespaceListeners.set(ns, listeners);
  }

  // ---- slow connections: fall behind, catch up from the log, go live again ----

  #fallBehind(session: SubscriberSession): void {
    // Every change up to lastLsn has been published to this socket (queued frames survive the
    // unsubscribes: the anchor topic keeps its subscriber record); nothing after will be.
    this.#forEachVariant(session, (base, variant) => {
      session.socket.unsubscribe(variantTopic(base, variant));
      this.#countTopic(base, variant, -1);
    });
    session.live = false;
    session.cursor = this.#changes.lastLsn;
    this.#stats.fellBehind++;
    this.#onFellBehind?.({ session: session.id, bufferedBytes: session.socket.getBufferedAmount(), subscriptions: session.subscriptions.size, lastLsn: session.cursor });
    this.#pumping.add(session);
    this.#schedulePump();
  }

  /** Sends the shared stream from the log while the socket has room; goes live when caught up. */
  #catchUp(session: SubscriberSession): void {
    const changes = this.#changes;
    if (this.#batch.length !== 0) fail('subscription invariant: a batch left unsent');
    for (let page = 0; page < replayPagesPerTurnMax; page++) {
      if (session.cursor >= changes.lastLsn) {
        this.#goLive(session);
        return;
      }
      if (session.socket.getBufferedAmount() >= this.#lowWaterBytes) return;
      const read = changes.readFrom(session.cursor, replayPageChanges);
      if ('gap' in read) {
        // Only subscriptions that joined before the lost range lost anything.
        for (const subscription of session.subscriptions.values()) {
          if (subscription.joined && subscription.joinedLsn < read.oldestLsn - 1) this.#sendGap(session, subscription.subId, read.oldestLsn);
        }
        session.cursor = read.oldestLsn - 1;
        continue;
      }
      if (read.length === 0) fail(`subscription invariant: nothing after ${session.cursor} below ${changes.lastLsn}`);
      for (const change of read) {
        session.cursor = change.lsn;
        // As in #sendMatching: stop once the socket holds lowWaterBytes.
        if (this.#batchShared(session, change) && session.socket.getBufferedAmount() >= this.#lowWaterBytes) {
          // The change that started a new batch is in it: send it, as the cursor says.
          this.#sendBatch(session, 0);
          return;
        }
      }
      this.#sendBatch(session, 0);
    }
  }

  /**
   * One change to a catching-up connection, once, with its value if a matching subscription wants
   * it: added to the batch, which is sent when full. Returns whether a batch was sent. Bounded by
   * the connection's subscriptions.
   */
  #batchShared(session: SubscriberSession, change: Change): boolean {
    let matched = false;
    let withValue = false;
    for (const subscription of session.subscriptions.values()) {
      if (!subscription.joined || !filterMatches(subscription.filter, change.ns, change.key, tagsOf(change))) continue;
      matched = true;
      withValue ||= subscription.values;
    }
    return matched && this.#addToBatch(session, 0, change, withValue);
  }

  /**
   * Adds a change to the batch for `session`, sending the batch first if the change would not fit
   * and after if it is full. Returns whether a batch was sent (the caller checks the socket then).
   */
  #addToBatch(session: SubscriberSession, subId: number, change: Change, withValue: boolean): boolean {
    const bytes = eventBytesEstimate(change, withValue);
    const sentBefore = this.#batch.length > 0 && this.#batchBytes + bytes > this.#batchBytesMax && this.#sendBatch(session, subId);
    this.#batch.push(change);
    this.#batchValues.push(withValue);
    this.#batchBytes += bytes;
    const sentAfter = this.#batch.length >= eventsPerBatchMax && this.#sendBatch(session, subId);
    return sentBefore || sentAfter;
  }

  /** Sends the batch (one frame, one event or an EventBatch); false when it was empty. */
  #sendBatch(session: SubscriberSession, subId: number): boolean {
    const batch = this.#batch;
    if (batch.length === 0) return false;
    this.#send(session, encodeEvents(subId, batch, this.#batchValues, batch.length));
    if (batch.length > 1) this.#stats.batchesSent++;
    batch.length = 0;
    this.#batchValues.length = 0;
    this.#batchBytes = 0;
    return true;
  }

  #goLive(session: SubscriberSession): void {
    session.live = true;
    this.#forEachVariant(session, (base, variant) => {
      session.socket.subscribe(variantTopic(base, variant));
      this.#countTopic(base, variant, 1);
    });
  }

  #sendGap(session: SubscriberSession, subId: number, oldestLsn: number): void {
    this.#send(session, encodeEvent(subId, { gap: true, oldestLsn }));
    this.#stats.gapsSent++;
  }

  #send(session: SubscriberSession, frame: Uint8Array): void {
    session.socket.send(frame, frameBinary, frameCompress);
    this.#stats.framesSent++;
  }

  // ---- timers ----

  #scheduleSweep(): void {
    if (this.#manualTimers || this.#stopped || this.#sweepImmediate !== null) return;
    if (this.#bytesSinceSweep < this.#sweepBytes) return;
    // Two check phases from now: after the next prepare phase, where uWS drains the topic frames.
    this.#sweepImmediate = setImmediate(this.#sweepSoon);
  }

  readonly #sweepSoon = (): void => {
    this.#sweepImmediate = setImmediate(this.#sweepNow);
  };

  readonly #sweepNow = (): void => {
    this.#sweepImmediate = null;
    if (!this.#stopped) this.sweep();
  };

  #schedulePump(): void {
    if (this.#manualTimers || this.#stopped || this.#pumpTimer !== null) return;
    this.#pumpTimer = setTimeout(this.#pumpNow, this.#pumpIntervalMs);
  }

  readonly #pumpNow = (): void => {
    this.#pumpTimer = null;
    if (!this.#stopped) this.pump();
  };
}

/**
 * One connection's handle on the hub, what the WebSocket endpoint keeps per connection. The
 * session is made at the first subscribe, so connections that never subscribe cost the hub nothing.
 */
export class ConnectionSubscriptions {
  readonly #hub: SubscriptionHub;
  readonly #socket: SubscriberSocket;
  #session: SubscriberSession | null = null;
  #closed = false;

  constructor(hub: SubscriptionHub, socket: SubscriberSocket) {
    this.#hub = hub;
    this.#socket = socket;
  }

  subscribe(op: SubscribeOp): ResultInput | Promise<ResultInput> {
    if (this.#closed) return closedResult;
    this.#session ??= this.#hub.open(this.#socket);
    return this.#hub.subscribe(this.#session, op);
  }

  unsubscribe(op: UnsubscribeOp): ResultInput {
    if (this.#session === null) return { status: Status.NotFound, message: `no subscription ${op.subId} on this connection` };
    return this.#hub.unsubscribe(this.#session, op);
  }

  /** The socket closed: never touch it again. */
  close(): void {
    this.#closed = true;
    if (this.#session !== null) this.#hub.close(this.#session);
    this.#session = null;
  }
}

/** Whether two topic lists are the same, in order (both come from changeTopics' fixed order). */
function sameTopics(left: readonly string[], right: readonly string[]): boolean {
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index++) if (left[index] !== right[index]) return false;
  return true;
}

/** Which variants a change is published in (see #publishRun). */
type TargetKind = 0 | 1 | 2 | 3;
const targetsNone: TargetKind = 0;
const targetsPlain: TargetKind = 1;
const targetsValued: TargetKind = 2;
const targetsMixed: TargetKind = 3;

const okResult: StatusResult = { status: Status.Ok };
const closedResult: StatusResult = { status: Status.ShuttingDown, message: 'the connection closed' };
const shuttingDownResult: StatusResult = { status: Status.ShuttingDown, message: 'the server is shutting down' };

/** The subscribe answer: Ok, with the join LSN X as the cursor (decimal text). */
function joinedResult(joinedLsn: number): ResultInput {
  return { records: emptyPage, cursor: String(joinedLsn) };
}

/** A put's new tag run or a removed record's; null for a change without tags (see topics.ts). */
function tagsOf(change: Change): Uint8Array | null {
  return change.tags ?? null;
}

function keyTextOf(change: Change): string {
  const key = change.key;
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** `k:N:...`, `p:N:...`, `t:N:...`, `n:N` → N (namespace names hold no `:`). */
function namespaceOfTopic(base: string): string {
  const end = base.indexOf(':', 2);
  return end < 0 ? base.slice(2) : base.slice(2, end);
}
