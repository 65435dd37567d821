// A replica's link to its primary (`--replica-of ws://HOST:PORT/v1/ws`, or "replicaOf" in the
// config): connects to the primary's /v1/replication with the subprotocol tessera-replication,
// says where it is (hello: history id, last applied LSN, highest epoch followed), applies what
// arrives in order (engine/front/replication-apply.ts), acknowledges, and reconnects with backoff.
//
// Frames are applied one at a time, in arrival order (one promise chain). When more than
// framesQueuedMax wait, the socket is paused: TCP then pushes back on the primary, whose session
// pauses itself at its own bound (wire/server/replication/primary-session.ts).
//
// Fencing: a frame of an epoch older than the highest this node has followed is never applied nor
// acknowledged; the link closes and looks for the primary again.

import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import {
  MessageType,
  decodeReplicationMessage,
  encodeAck,
  encodeHello,
  replicationSubprotocol,
  syncModeNames,
  type ReplicationMessage,
  type SyncMode,
} from '../../../engine/layout/replication-protocol';
import { ReplicaApplier, type ReplicaHost } from '../../../engine/front/replication-apply';
import { reconnectDelayMs } from '../../client/backoff';
import type { Logger } from '../logger';
import { replicationPath } from './replication-primary';

/** The largest frame accepted from a primary: a WAL record of the largest value, with room. */
const inboundFrameBytesMax = 80 * 1024 * 1024;
const framesQueuedMax = 64;
/** Acks go after every applied frame and, for the durable LSN moving, at most this often. */
const ackIntervalMs = 5;
const reconnectDelayMsMin = 50;
const reconnectDelayMsMax = 2000;

export interface ReplicaLinkOptions {
  /** As configured: ws://HOST:PORT/v1/ws (the client URL) or …/v1/replication. */
  primaryUrl: string;
  host: ReplicaHost;
  logger: Logger;
  /** This node's durable LSN (its WAL), or its applied LSN for a memory node. */
  durableLsn(): number;
  /** The highest epoch followed so far (from the data dir). */
  epoch: number;
  /** A frame of a higher epoch arrived: record it (durably) before it is applied. */
  onEpoch(epoch: number): void;
}

/** The replication URL of a primary named by its client URL (or by its replication URL). */
export function replicationUrlOf(primaryUrl: string): string {
  const url = new URL(primaryUrl);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new RangeError(`replicaOf must be a ws:// or wss:// URL, got ${primaryUrl}`);
  url.pathname = replicationPath;
  return url.toString();
}

/** The primary's HTTP origin, for the 421 body of a write sent to a replica. */
export function httpOriginOf(primaryUrl: string): string {
  const url = new URL(primaryUrl);
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
}

/** The URL without its query and fragment (where a token may travel). */
export function withoutQuery(anyUrl: string): string {
  const url = new URL(anyUrl);
  url.search = '';
  url.hash = '';
  return url.toString();
}

export class ReplicaLink {
  readonly applier: ReplicaApplier;
  readonly #options: ReplicaLinkOptions;
  readonly #url: string;
  #socket: WebSocket | null = null;
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #ackTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** The highest epoch followed; frames of an older one are refused. */
  epoch = 0;
  connected = false;
  lastSync: SyncMode | 0 = 0;
  primaryLastLsn = 0;
  connects = 0;
  #ackedApplied = -1;
  #ackedDurable = -1;

  constructor(options: ReplicaLinkOptions) {
    this.#options = options;
    this.#url = replicationUrlOf(options.primaryUrl);
    this.epoch = options.epoch;
    this.applier = new ReplicaApplier(options.host, new Uint8Array(randomBytes(16)));
  }

  start(): void {
    this.#connect();
    this.#ackTimer = setInterval(() => this.#ack(false), ackIntervalMs);
    this.#ackTimer.unref();
  }

  /** Stops the link; resolves once every frame already received has been applied. */
  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    if (this.#ackTimer !== null) clearInterval(this.#ackTimer);
    this.#socket?.close(1001, 'replica shutting down');
    this.#socket = null;
    this.connected = false;
    return this.#chain;
  }

  #connect(): void {
    if (this.#stopped) return;
    const socket = new WebSocket(this.#url, replicationSubprotocol, { maxPayload: inboundFrameBytesMax, perMessageDeflate: false });
    this.#socket = socket;
    socket.binaryType = 'nodebuffer';
    socket.on('open', () => {
      this.connects++;
      const position = this.applier.position();
      socket.send(encodeHello(this.epoch, position.historyId, position.lastLsn));
      this.#options.logger.info({ primary: this.#url, lastLsn: position.lastLsn }, 'replication: connected to the primary');
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return this.#drop(socket, 4000, 'text frame from the primary');
      // The ws library hands over a Buffer of its own; decoded views into it stay valid.
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      this.#queued++;
      if (this.#queued > framesQueuedMax) socket.pause();
      this.#chain = this.#chain.then(() => this.#handle(socket, bytes)).finally(() => {
        this.#queued--;
        if (this.#queued <= framesQueuedMax / 2 && socket.isPaused) socket.resume();
      });
    });
    socket.on('error', (error: Error) => this.#options.logger.debug({ err: error }, 'replication: link error'));
    socket.on('close', (code: number, reason: Buffer) => {
      if (this.#socket === socket) this.#socket = null;
      this.connected = false;
      // Frames already queued still apply in order; a full sync cut halfway starts over.
      this.#chain = this.#chain.then(() => this.applier.interrupted());
      this.#options.logger.info({ code, reason: reason.toString() }, 'replication: link closed');
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer !== null) return;
    const delayMs = reconnectDelayMs(Math.min(this.#attempt++, 20), reconnectDelayMsMin, reconnectDelayMsMax);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      // Reconnect only once every frame of the old link has been applied (the hello says where).
      void this.#chain.then(() => this.#connect());
    }, delayMs);
  }

  #drop(socket: WebSocket, code: number, reason: string): void {
    this.#options.logger.warn({ code, reason }, 'replication: dropping the link');
    socket.close(code, reason);
  }

  async #handle(socket: WebSocket, bytes: Uint8Array): Promise<void> {
    if (socket !== this.#socket) return;
    const message = decodeReplicationMessage(bytes);
    if (message === null) return this.#drop(socket, 4000, 'malformed replication frame');
    if (message.epoch < this.epoch) return this.#drop(socket, 4003, `a frame of epoch ${message.epoch}; this node has followed ${this.epoch}`);
    if (message.epoch > this.epoch) this.#options.onEpoch(message.epoch);
    this.epoch = message.epoch;
    try {
      await this.#apply(message);
    } catch (error: unknown) {
      this.#options.logger.error({ err: error }, 'replication: the stream could not be applied');
      this.#drop(socket, 4000, 'the stream could not be applied');
    }
  }

  async #apply(message: ReplicationMessage): Promise<void> {
    const applier = this.applier;
    switch (message.type) {
      case MessageType.Start:
        await applier.start(message);
        this.connected = true;
        this.#attempt = 0;
        this.lastSync = message.mode;
        this.#options.logger.info({ mode: syncModeNames[message.mode], fromLsn: message.fromLsn }, 'replication: sync started');
        return;
      case MessageType.Records:
        await applier.applyRecords(message);
        this.primaryLastLsn = Math.max(this.primaryLastLsn, applier.appliedLsn);
        return this.#ack(false);
      case MessageType.SnapshotBegin:
        this.#options.logger.info({ lsn: message.lsn, records: message.records }, 'replication: full sync begins');
        return applier.beginFullSync(message);
      case MessageType.SnapshotChunk:
        return applier.applyChunk(message);
      case MessageType.SnapshotEnd:
        await applier.finishFullSync(message);
        this.#options.logger.info({ lsn: message.lsn, chunks: message.chunks }, 'replication: full sync done');
        return this.#ack(true);
      case MessageType.Heartbeat:
        this.primaryLastLsn = message.primaryLastLsn;
        return this.#ack(true);
      default:
        throw new Error(`unexpected message type ${message.type} from the primary`);
    }
  }

  /** Sends an ack when something moved (or `force`, after a heartbeat). */
  #ack(force: boolean): void {
    const socket = this.#socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN || !this.connected) return;
    const applied = this.applier.appliedLsn;
    const durable = Math.min(applied, this.#options.durableLsn());
    if (!force && applied === this.#ackedApplied && durable === this.#ackedDurable) return;
    this.#ackedApplied = applied;
    this.#ackedDurable = durable;
    socket.send(encodeAck(this.epoch, applied, durable));
  }

  status(): Record<string, unknown> {
    return {
      role: 'replica',
      // Without its query: a link's admin token (?access_token=) must not show on an open /status.
      primary: withoutQuery(this.#options.primaryUrl),
      connected: this.connected,
      epoch: this.epoch,
      historyId: Buffer.from(this.applier.historyId).toString('hex'),
      appliedLsn: this.applier.appliedLsn,
      durableLsn: Math.min(this.applier.appliedLsn, this.#options.durableLsn()),
      primaryLastLsn: this.primaryLastLsn,
      lagLsn: Math.max(0, this.primaryLastLsn - this.applier.appliedLsn),
      lastSync: syncModeNames[this.lastSync] || null,
      fullSyncs: this.applier.fullSyncs,
      connects: this.connects,
      recordsApplied: this.applier.recordsApplied,
      outOfMemory: this.applier.outOfMemory,
    };
  }
}
