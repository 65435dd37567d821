// The primary's replication endpoint: GET /v1/replication upgraded to a WebSocket with the
// subprotocol `tessera-replication`, one PrimarySession per replica.
//
// Why a path of its own rather than a second protocol on /v1/ws: the two behaviours differ in every
// uWS setting (frame limit: hellos and acks are tiny, snapshot frames large; backpressure: a session
// pauses itself instead of being closed; no request accounting), and uWS binds one behaviour per
// route. The subprotocol is still required, so a client that lands here by mistake is refused at
// the upgrade, and a replica configured with the client URL (…/v1/ws) is pointed here by the link.

import type { HttpRequest, TemplatedApp, WebSocketBehavior } from 'uWebSockets.js';
import { Status } from '../../../engine/layout/status';
import { replicationSubprotocol, SyncMode, syncModeNames } from '../../../engine/layout/replication-protocol';
import type { ChangeLog } from '../../../engine/front/change-log';
import type { ReplicationSource } from '../../../engine/front/replication-source';
import type { UwsModule } from '../load-uws';
import type { Logger } from '../logger';
import type { LinkRefusal } from './index';
import { closeCodes, PrimarySession, type SessionContext, type SessionUserData } from './primary-session';

export const replicationPath = '/v1/replication';

export interface PrimaryOptions {
  /** Replicas that must hold a write before a `replica` write is answered (engine config minReplicas). */
  minReplicas: number;
  /** The replicated watermark moved (engine/front/replication-ack-gate.ts). */
  onReplicated(lsn: number): void;
  /** This node's epoch (the data dir's EPOCH). */
  epoch(): number;
  /** False while this node is a replica. */
  accepting(): boolean;
}
/** Unread output at which a session pauses (catch-up) or leaves live delivery. */
const pauseBytesDefault = 8 * 1024 * 1024;
/** uWS drops a connection past this (a session pauses far below it). */
const backpressureBytesMax = 256 * 1024 * 1024;
/** Hellos and acks are small; a larger frame from a replica is an error. */
const inboundFrameBytesMax = 64 * 1024;
const heartbeatIntervalMs = 1000;
/** A replica further behind than this many changes no longer holds the WAL back (a bound on the disk it costs). */
const walRetainLsnsMax = 16 * 1024 * 1024;

export class ReplicationPrimary {
  readonly #sessions = new Set<PrimarySession>();
  readonly #source: ReplicationSource;
  readonly #changes: ChangeLog;
  readonly #logger: Logger;
  readonly #context: SessionContext;
  readonly syncCounts = { memory: 0, wal: 0, snapshot: 0 };
  #nextId = 1;
  #heartbeat: NodeJS.Timeout | null = null;

  readonly #acks: PrimaryOptions;

  constructor(source: ReplicationSource, changes: ChangeLog, logger: Logger, acks: PrimaryOptions) {
    this.#source = source;
    this.#acks = acks;
    this.#changes = changes;
    this.#logger = logger;
    this.#context = {
      source,
      changes,
      logger,
      pauseBytes: pauseBytesDefault,
      epoch: () => acks.epoch(),
      accepting: () => acks.accepting(),
      counted: (mode: SyncMode) => {
        this.syncCounts[syncModeNames[mode] as 'memory' | 'wal' | 'snapshot']++;
      },
      acked: () => this.#replicatedChanged(),
    };
  }

  /** `admit` checks each link's upgrade (Host, token); a refusal is answered and no link opens. */
  register(uws: UwsModule, app: TemplatedApp, admit: (req: HttpRequest) => LinkRefusal | null): void {
    app.ws(replicationPath, this.#behavior(uws, admit));
    this.#heartbeat = setInterval(() => {
      for (const session of this.#sessions) session.heartbeat();
    }, heartbeatIntervalMs);
    this.#heartbeat.unref();
  }

  #behavior(uws: UwsModule, admit: (req: HttpRequest) => LinkRefusal | null): WebSocketBehavior<SessionUserData> {
    return {
      compression: uws.DISABLED,
      maxPayloadLength: inboundFrameBytesMax,
      maxBackpressure: backpressureBytesMax,
      closeOnBackpressureLimit: 0,
      idleTimeout: 60,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const refusal = admit(req);
        if (refusal !== null) {
          res.writeStatus(`${refusal.httpCode} ${refusal.httpCode === 401 ? 'Unauthorized' : refusal.httpCode === 503 ? 'Service Unavailable' : 'Forbidden'}`).writeHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ error: Status[refusal.status] ?? 'Forbidden', message: refusal.message }));
          return;
        }
        const protocols = req.getHeader('sec-websocket-protocol').split(',').map((protocol) => protocol.trim());
        if (!protocols.includes(replicationSubprotocol)) {
          res.writeStatus('400 Bad Request').writeHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ error: 'InvalidArgument', message: `this path takes the WebSocket subprotocol ${replicationSubprotocol}` }));
          return;
        }
        const data: SessionUserData = { session: null };
        res.upgrade(data, req.getHeader('sec-websocket-key'), replicationSubprotocol, req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => {
        const remote = Buffer.from(ws.getRemoteAddressAsText()).toString();
        const session = new PrimarySession(this.#nextId++, remote, ws, this.#context);
        ws.getUserData().session = session;
        this.#sessions.add(session);
      },
      message: (ws, message, isBinary) => {
        const session = ws.getUserData().session;
        if (session === null) return;
        if (!isBinary) return session.close(closeCodes.protocol, 'text frames are not replication messages');
        // Decoded views point into the frame, which uWS frees when this returns: decode a copy.
        session.onMessage(new Uint8Array(message.slice(0)));
      },
      drain: (ws) => ws.getUserData().session?.onDrain(),
      close: (ws) => {
        const session = ws.getUserData().session;
        if (session === null) return;
        session.closed();
        this.#sessions.delete(session);
        this.#logger.info({ replica: session.id, sentLsn: session.sentLsn, appliedLsn: session.appliedLsn }, 'replication: replica disconnected');
      },
    };
  }

  /**
   * The replicated watermark: the minReplicas-th highest durable LSN acknowledged by the connected
   * replicas (acks of another epoch were never counted). Fewer replicas: it does not move, and
   * `replica` writes time out with NotEnoughReplicas.
   */
  #replicatedChanged(): void {
    const durable: number[] = [];
    for (const session of this.#sessions) if (session.positioned && session.state !== 'closed') durable.push(session.durableLsn);
    if (durable.length < this.#acks.minReplicas) return;
    durable.sort((left, right) => right - left);
    this.#acks.onReplicated(durable[this.#acks.minReplicas - 1]!);
  }

  /** The LSN after which a connected replica still needs the WAL (Infinity: none). */
  walNeededAfter(): number {
    const lastLsn = this.#changes.lastLsn;
    let needed = Number.POSITIVE_INFINITY;
    for (const session of this.#sessions) {
      if (!session.positioned || session.state === 'closed') continue;
      if (lastLsn - session.appliedLsn <= walRetainLsnsMax) needed = Math.min(needed, session.appliedLsn);
    }
    return needed;
  }

  status(): Record<string, unknown> {
    const lastLsn = this.#changes.lastLsn;
    return {
      role: 'primary',
      epoch: this.#acks.epoch(),
      historyId: Buffer.from(this.#source.historyId).toString('hex'),
      lastLsn,
      syncs: { ...this.syncCounts },
      replicas: [...this.#sessions].map((session) => session.status(lastLsn)),
    };
  }

  /** Ends every replica link, the endpoint staying up (a demotion: the replicas go to the new primary). */
  closeSessions(code: number, reason: string): void {
    for (const session of [...this.#sessions]) session.close(code, reason);
  }

  /** Ends every replica link (shutdown). */
  stop(): void {
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat);
    for (const session of [...this.#sessions]) session.close(closeCodes.shuttingDown, 'primary shutting down');
  }
}
