// One replica's link, on the primary: from its hello to the live stream.
//
//   hello ──► plan (engine/front/replication-source.ts) ──► Start{mode}
//               snapshot: SnapshotBegin, chunks, SnapshotEnd; sentLsn = the snapshot's LSN
//   catch-up:  loop { WAL cursor (if open) | change log window after sentLsn (a Gap opens a WAL
//              cursor; no WAL reaching back closes the link: the replica's next hello gets a full
//              sync) } until sentLsn = the log's last LSN, then, in the same turn, subscribe:
//   live:      each change is encoded into this turn's Records frame, sent once per turn.
//
// Backpressure: above pauseBytes of unread output the session stops producing. Live, it leaves the
// change log (unsubscribes) and waits for uWS's drain, then catches up from memory or the WAL
// again. A replica that falls behind therefore costs the WAL reads it needs, never a full sync
// loop (Redis's replication-backlog failure): a full sync only when the WAL no longer reaches back.

import type { WebSocket } from 'uWebSockets.js';
import {
  MessageType,
  SyncMode,
  decodeReplicationMessage,
  encodeHeartbeat,
  encodeSnapshotBegin,
  encodeSnapshotChunk,
  encodeSnapshotEnd,
  encodeStart,
  syncModeNames,
  type Hello,
} from '../../../engine/layout/replication-protocol';
import { RecordsFrameBuilder } from '../../../engine/layout/replication-records-frame';
import type { Change } from '../../../engine/layout/types';
import type { ChangeLog } from '../../../engine/front/change-log';
import type { ReplicationSource, WalCursor } from '../../../engine/front/replication-source';
import { sameHistory } from '../../../engine/layout/wal-segment-header';
import type { Logger } from '../logger';

/** Records and bytes one catch-up frame carries at most (a single larger record still goes alone). */
const frameRecordsMax = 4096;
const frameBytesMax = 1024 * 1024;
/** Catch-up rounds one session may take before giving up (a bound on the loop, not a goal). */
const catchUpRoundsMax = 10_000_000;
/** Rounds in a row that made no progress (the WAL still behind the memory window) before the link closes. */
const idleRoundsMax = 500;
const idleRoundMs = 10;

/** WebSocket close codes of the replication link (4000-4999: application codes). */
export const closeCodes = {
  protocol: 4000,
  fullSyncImpossible: 4001,
  fellBehind: 4002,
  stalePrimary: 4003,
  notPrimary: 4004,
  shuttingDown: 1001,
} as const;

export interface SessionContext {
  readonly source: ReplicationSource;
  readonly changes: ChangeLog;
  readonly logger: Logger;
  readonly pauseBytes: number;
  epoch(): number;
  /** Called once per sync decision (memory, wal, snapshot): the /status and /metrics counts. */
  counted(mode: SyncMode): void;
  /** A replica acknowledged: the replicated watermark may move (`replica` acks). */
  acked(): void;
  /** False while this node is itself a replica: it serves no stream until promoted. */
  accepting(): boolean;
}

export interface SessionUserData {
  session: PrimarySession | null;
}

type State = 'hello' | 'snapshot' | 'catchup' | 'live' | 'closed';

export class PrimarySession {
  readonly id: number;
  readonly remote: string;
  readonly connectedAtMs = Date.now();
  state: State = 'hello';
  lastSync: SyncMode | 0 = 0;
  sentLsn = 0;
  appliedLsn = 0;
  durableLsn = 0;
  lastAckAtMs = 0;
  /** True once the replica's position in our history is known (appliedLsn means something). */
  positioned = false;
  /** Times this session left live delivery for catch-up (unread output past pauseBytes). */
  leftLive = 0;
  /** WAL cursors opened on this session (at the start or when the change log no longer held sentLsn + 1). */
  walReads = 0;
  readonly #context: SessionContext;
  readonly #socket: WebSocket<SessionUserData>;
  readonly #builder = new RecordsFrameBuilder();
  #wal: WalCursor | null = null;
  #unsubscribe: (() => void) | null = null;
  #flushScheduled = false;
  #drainWaiter: (() => void) | null = null;
  readonly #flushLive = (): void => this.#flush();
  readonly #onChange = (change: Change): void => this.#live(change);

  constructor(id: number, remote: string, socket: WebSocket<SessionUserData>, context: SessionContext) {
    this.id = id;
    this.remote = remote;
    this.#socket = socket;
    this.#context = context;
  }

  onMessage(bytes: Uint8Array): void {
    const message = decodeReplicationMessage(bytes);
    if (message === null) return this.close(closeCodes.protocol, 'malformed replication frame');
    if (message.type === MessageType.Hello && this.state === 'hello') {
      void this.#start(message).catch((error: unknown) => {
        this.#context.logger.error({ err: error, replica: this.id }, 'replication: sync failed');
        this.close(closeCodes.protocol, 'sync failed on the primary');
      });
      return;
    }
    if (message.type === MessageType.Ack) {
      // An ack of another epoch's stream acknowledges nothing of ours (fencing).
      if (message.epoch !== this.#context.epoch()) return;
      this.appliedLsn = Math.max(this.appliedLsn, message.appliedLsn);
      this.durableLsn = Math.max(this.durableLsn, message.durableLsn);
      this.lastAckAtMs = Date.now();
      this.#context.acked();
      return;
    }
    this.close(closeCodes.protocol, `unexpected message type ${message.type} in state ${this.state}`);
  }

  onDrain(): void {
    if (this.#drainWaiter !== null && this.#socket.getBufferedAmount() < this.#context.pauseBytes / 2) {
      const resolve = this.#drainWaiter;
      this.#drainWaiter = null;
      resolve();
    }
  }

  /** Ends the session (and the socket, unless uWS closed it already). Idempotent. */
  close(code?: number, reason?: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#wal?.close();
    this.#wal = null;
    this.#drainWaiter?.();
    this.#drainWaiter = null;
    if (code !== undefined) {
      this.#context.logger.warn({ replica: this.id, code, reason }, 'replication: closing the link');
      this.#socket.end(code, reason);
    }
  }

  /** The socket is gone (uWS close handler): never touch it again. */
  closed(): void {
    this.close();
  }

  heartbeat(): void {
    if (this.state === 'live' || this.state === 'catchup') this.#send(encodeHeartbeat(this.#context.epoch(), this.#context.changes.lastLsn, Date.now()));
  }

  async #start(hello: Hello): Promise<void> {
    const { source, logger } = this.#context;
    const epoch = this.#context.epoch();
    if (!this.#context.accepting()) return this.close(closeCodes.notPrimary, 'this node is a replica: connect to its primary');
    if (hello.epoch > epoch) return this.close(closeCodes.stalePrimary, `the replica followed epoch ${hello.epoch}; this primary is at ${epoch}`);
    const plan = source.plan(hello.historyId, hello.lastAppliedLsn);
    this.lastSync = plan.mode;
    this.#context.counted(plan.mode);
    logger.info({ replica: this.id, remote: this.remote, mode: syncModeNames[plan.mode], replicaLsn: hello.lastAppliedLsn, primaryLsn: this.#context.changes.lastLsn }, 'replication: replica connected');
    if (plan.mode === SyncMode.Snapshot) {
      const previous = source.previous;
      if (previous !== null && sameHistory(hello.historyId, previous.historyId) && hello.lastAppliedLsn >= previous.switchLsn) {
        // An old primary (or its replica) went on past the promotion: its tail is not ours.
        const divergent = hello.lastAppliedLsn - previous.switchLsn + 1;
        logger.warn({ replica: this.id, switchLsn: previous.switchLsn, replicaLsn: hello.lastAppliedLsn, divergentChanges: divergent }, 'replication: the replica holds a divergent tail past the promotion; a full sync drops it');
      }
      if (!source.canFullSync) return this.close(closeCodes.fullSyncImpossible, 'a full sync needs a primary with a data dir');
      this.state = 'snapshot';
      await this.#sendSnapshot();
    } else {
      this.#send(encodeStart(epoch, source.historyId, hello.lastAppliedLsn, plan.mode, source.previous));
      this.sentLsn = hello.lastAppliedLsn;
      this.appliedLsn = hello.lastAppliedLsn;
      this.positioned = true;
      if (plan.mode === SyncMode.Wal) {
        this.#wal = plan.cursor;
        this.walReads++;
      }
    }
    if (this.#isClosed()) return;
    this.state = 'catchup';
    await this.#catchUp();
  }

  /** A method, not a field test: TypeScript would keep a narrowing of `state` across awaits. */
  #isClosed(): boolean {
    return this.state === 'closed';
  }

  async #sendSnapshot(): Promise<void> {
    const { source } = this.#context;
    const epoch = this.#context.epoch();
    const found = await source.snapshotForSync();
    if (this.#isClosed()) return;
    if (found === null) return this.close(closeCodes.fullSyncImpossible, 'no snapshot could be taken for a full sync');
    const { info, chunks } = found;
    // From here the WAL after the snapshot's LSN is needed: a newer snapshot must not drop it.
    this.appliedLsn = info.startLsn;
    this.positioned = true;
    try {
      // Our current history, even for a snapshot taken before a promotion: the stream after it is ours.
      const historyId = source.historyId;
      this.#send(encodeStart(epoch, historyId, info.startLsn, SyncMode.Snapshot));
      this.#send(encodeSnapshotBegin(epoch, historyId, info.startLsn, info.records, info.namespaces));
      for (const chunk of chunks) {
        this.#send(encodeSnapshotChunk(epoch, chunk.records, chunk.bytes));
        await this.#pauseIfBehind();
        // One chunk (a synchronous file read) per event-loop turn: client requests are served
        // between chunks instead of waiting behind pauseBytes of them (bench:replication, full sync).
        await new Promise((resolve) => setImmediate(resolve));
        if (this.#isClosed()) return;
      }
      this.#send(encodeSnapshotEnd(epoch, info.startLsn, info.chunks));
    } finally {
      chunks.return(undefined);
    }
    this.sentLsn = info.startLsn;
  }

  /** Bounded catch-up loop (see the top of the file); ends live, or closed. */
  async #catchUp(): Promise<void> {
    const { changes, source } = this.#context;
    const builder = this.#builder;
    let idleRounds = 0;
    for (let round = 0; round < catchUpRoundsMax; round++) {
      await this.#pauseIfBehind();
      if (this.state !== 'catchup') return;
      builder.begin(this.#context.epoch());
      const wal = this.#wal;
      if (wal !== null) {
        const more = wal.fill(builder, frameRecordsMax, frameBytesMax);
        if (!more) {
          wal.close();
          this.#wal = null;
        }
      } else {
        const window = changes.readFrom(this.sentLsn, frameRecordsMax);
        if ('gap' in window) {
          this.#wal = source.walCursor(this.sentLsn);
          this.walReads++;
          if (this.#wal === null) return this.close(closeCodes.fellBehind, `LSN ${this.sentLsn + 1} is neither in the change log nor in the WAL: reconnect for a full sync`);
          continue;
        }
        if (window.length === 0) {
          // Caught up: from this very turn every new change comes through the listener.
          this.#unsubscribe = changes.subscribe(this.#onChange);
          this.state = 'live';
          return;
        }
        for (const change of window) {
          builder.addChange(change);
          if (builder.bytes >= frameBytesMax) break;
        }
      }
      const sent = builder.count;
      this.#sendFrame();
      idleRounds = sent === 0 ? idleRounds + 1 : 0;
      if (idleRounds > idleRoundsMax) return this.close(closeCodes.fellBehind, 'catch-up made no progress');
      await new Promise((resolve) => (sent === 0 ? setTimeout(resolve, idleRoundMs) : setImmediate(resolve)));
    }
    this.close(closeCodes.fellBehind, 'catch-up did not finish');
  }

  #live(change: Change): void {
    const builder = this.#builder;
    if (builder.count === 0) builder.begin(this.#context.epoch());
    builder.addChange(change);
    if (builder.bytes >= frameBytesMax) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushLive);
    }
  }

  /** Sends this turn's live frame; too much unread output leaves live delivery for catch-up. */
  #flush(): void {
    this.#flushScheduled = false;
    if (this.state !== 'live') return;
    this.#sendFrame();
    if (this.#socket.getBufferedAmount() > this.#context.pauseBytes) {
      this.#unsubscribe?.();
      this.#unsubscribe = null;
      this.state = 'catchup';
      this.leftLive++;
      void this.#catchUp();
    }
  }

  #sendFrame(): void {
    const lastLsn = this.#builder.nextLsn - 1;
    const frame = this.#builder.take();
    if (frame === null) return;
    this.#send(frame);
    this.sentLsn = lastLsn;
  }

  #send(frame: Uint8Array): void {
    if (this.state === 'closed') return;
    // 2 = dropped: past maxBackpressure uWS gave up on the connection; the replica reconnects.
    if (this.#socket.send(frame, true) === 2) this.close(closeCodes.fellBehind, 'unread output passed the limit');
  }

  async #pauseIfBehind(): Promise<void> {
    if (this.state === 'closed' || this.#socket.getBufferedAmount() <= this.#context.pauseBytes) return;
    await new Promise<void>((resolve) => (this.#drainWaiter = resolve));
  }

  /** How old the oldest change this replica has not acknowledged is, ms (0 when caught up or no longer in memory: null). */
  #lagMs(primaryLastLsn: number): number | null {
    if (this.appliedLsn >= primaryLastLsn) return 0;
    const next = this.#context.changes.readFrom(this.appliedLsn, 1);
    if ('gap' in next || next[0] === undefined || next[0].lastModified <= 0) return null;
    // Whole ms: lastModified carries sub-ms steps that keep one millisecond's stamps apart
    // (shard stamps), noise in an age; a fractional gauge also broke the 10-cut test's pattern.
    return Math.max(0, Math.round(Date.now() - next[0].lastModified));
  }

  status(primaryLastLsn: number): Record<string, unknown> {
    return {
      id: this.id,
      remote: this.remote,
      state: this.state,
      lastSync: syncModeNames[this.lastSync] || null,
      sentLsn: this.sentLsn,
      appliedLsn: this.appliedLsn,
      durableLsn: this.durableLsn,
      lagLsn: Math.max(0, primaryLastLsn - this.appliedLsn),
      lagMs: this.#lagMs(primaryLastLsn),
      leftLive: this.leftLive,
      walReads: this.walReads,
      lastAckAgoMs: this.lastAckAtMs === 0 ? null : Date.now() - this.lastAckAtMs,
      connectedAtMs: this.connectedAtMs,
    };
  }
}
