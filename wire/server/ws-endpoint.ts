// The WebSocket endpoint, /v1/ws: binary FlatBuffers frames, many requests in flight per
// connection, each answered by one Response carrying its id.
//
//   message ──► copy frame ──► decodeRequest (verifier) ──► checks ──► runRequest ──► outbox
//                                   │ fails                   │ draining: ShuttingDown
//                                   ▼                         │ too many in flight /
//                         Response{id?, status}               │ too much unread output: Busy
//                                                             ▼
//   outbox ──(setImmediate, once per event-loop turn)──► ws.cork(send every pending response)
//
// Responses are gathered per connection and sent in one cork per turn, so the many responses of a
// pipelined burst leave in one syscall. Output a client leaves unread is bounded twice: above
// busyBackpressureBytes new requests are answered Busy (a few bytes) instead of run, and above
// backpressureBytesMax uWS closes the connection (closeOnBackpressureLimit) rather than buffer more.
// Their sum is bounded too (output-budget.ts): above maxBufferedOutputBytes every connection is
// answered Busy and the largest holders are closed. Upgrades past maxConnections are refused 503.

import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { EngineApi } from '../../engine/front/engine-api';
import { Status, statusName } from '../../engine/layout/status';
import type { NamespaceConfig } from '../../engine/layout/types';
import { decodeRequest, encodeRequestFailure, encodeResponse, type ResultInput, type WireOp } from '../codec';
import type { Principal } from './access-control';
import type { Lifecycle } from './lifecycle';
import type { UwsModule } from './load-uws';
import type { Logger } from './logger';
import { RateLimitedLog } from './rate-limited-log';
import { offendersToClose, outputSweepIntervalMs } from './output-budget';
import { opKindIndex, transportIndex, type LatencyObserver, type ServerMetrics } from './metrics';
import type { ServerLimits } from './server-config';
import type { ConnectionSubscriptions, SubscriptionHub } from './subscriptions';
import { errorBody } from './http-exchange';
import { statusLine } from './http-status';
import { runRequest } from './ws-request';

export const wsPath = '/v1/ws';

/**
 * What a client sees when it sends a frame larger than frameBytesMax (= uWS maxPayloadLength):
 * uWS drops the connection without a close frame, so the client reports 1006 (abnormal closure),
 * not 1009. Measured by ws-endpoint.test.ts; uWS 20.30 offers no hook to send 1009 instead.
 */
export const closeCodeFrameTooLarge = 1006;

export interface WsContext {
  engine: EngineApi;
  namespaces: ReadonlyMap<string, NamespaceConfig>;
  lifecycle: Lifecycle;
  metrics: ServerMetrics;
  logger: Logger;
  limits: ServerLimits;
  /** Change subscriptions; without it subscribe is answered InvalidArgument. */
  subscriptions?: SubscriptionHub;
  /**
   * Checks an upgrade request before a WebSocket exists (Origin, Host, access token): a refusal is
   * answered with its HTTP code and no WebSocket is opened.
   */
  admitUpgrade?: (req: HttpRequest) => UpgradeRefusal | UpgradeAdmission;
  /** True while the node recovers its data dir (a subscribe is answered Recovering then). */
  recovering?: () => boolean;
}

/** An admitted upgrade: whose token it presented (null with access control off). */
export interface UpgradeAdmission {
  principal: Principal | null;
}

export interface UpgradeRefusal {
  httpCode: 401 | 403 | 503;
  status: Status;
  message: string;
  headers?: readonly [string, string][];
}

/** Per-connection state, held as the uWS user data. */
interface Connection {
  id: number;
  socket: WebSocket<Connection> | null;
  /** Requests taken and not yet answered. */
  inFlight: number;
  /** Encoded responses waiting for this turn's flush. */
  outbox: Uint8Array[];
  /** Their bytes: unread output uWS does not know about yet, counted for Busy. */
  outboxBytes: number;
  /** In the endpoint's flush list already. */
  queued: boolean;
  subscriptions: ConnectionSubscriptions | undefined;
  /** Unread output at the last sweep (output-budget.ts). */
  bufferedBytes: number;
  /** The token presented on the upgrade; null with access control off. Checked per op. */
  principal: Principal | null;
}

const wsTransport = transportIndex.ws;

export class WsEndpoint {
  readonly #context: WsContext;
  readonly #latency: LatencyObserver;
  readonly #open = new Set<Connection>();
  /** Connections with responses in their outbox, flushed together once per event-loop turn. */
  #flushList: Connection[] = [];
  #flushScheduled = false;
  #nextConnectionId = 1;
  readonly #flushNow = (): void => this.flush();
  /** Unread output of every connection at the last sweep (output-budget.ts). */
  #bufferedOutputBytes = 0;
  #sweepTimer: NodeJS.Timeout | null = null;

  readonly #refusalLog: RateLimitedLog;

  constructor(context: WsContext) {
    this.#context = context;
    this.#latency = context.metrics.latency('ws');
    this.#refusalLog = new RateLimitedLog(context.logger);
  }

  get connections(): number {
    return this.#open.size;
  }

  /** Unread output summed over every connection, as of the last sweep. */
  get bufferedOutputBytes(): number {
    return this.#bufferedOutputBytes;
  }

  behavior(uws: UwsModule): WebSocketBehavior<Connection> {
    const { limits } = this.#context;
    return {
      compression: uws.DISABLED,
      maxPayloadLength: limits.frameBytesMax,
      maxBackpressure: limits.backpressureBytesMax,
      // Typed as a number in the published typings; uWS reads it as a boolean.
      closeOnBackpressureLimit: 1,
      idleTimeout: limits.idleTimeoutSec,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => this.#onUpgrade(res, req, context),
      open: (ws) => this.#onOpen(ws),
      message: (ws, message, isBinary) => this.#onMessage(ws, message, isBinary),
      close: (ws, code) => this.#onClose(ws, code),
    };
  }

  /** Sends every pending response now (normally run by setImmediate once per turn). */
  flush(): void {
    this.#flushScheduled = false;
    const list = this.#flushList;
    this.#flushList = [];
    for (const connection of list) {
      connection.queued = false;
      const socket = connection.socket;
      if (socket === null) continue;
      socket.cork(() => this.#sendOutbox(connection, socket));
    }
  }

  /** Ends every connection with a close frame (shutdown), and stops the output sweep. */
  closeAll(code: number, reason: string): void {
    this.#stopSweep();
    for (const connection of [...this.#open]) connection.socket?.end(code, reason);
  }

  /**
   * Admission, before any WebSocket exists: past maxConnections the upgrade is answered 503 and
   * the client never holds a socket's worth of buffers.
   */
  #onUpgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const { limits } = this.#context;
    const outcome: UpgradeRefusal | UpgradeAdmission =
      this.#open.size >= limits.maxConnections
        ? { httpCode: 503, status: Status.Busy, message: `more than ${limits.maxConnections} connections` }
        : (this.#context.admitUpgrade?.(req) ?? { principal: null });
    if ('httpCode' in outcome) {
      const refusal = outcome;
      this.#context.metrics.countRequestFailure(wsTransport, refusal.status);
      // Once, then at most once per 10 s (rate-limited-log.ts): a client retrying in a loop must
      // not flood the log. Never the token or the Origin's full text: the status says which check.
      this.#refusalLog.log('warn', 'websocket-refused', { httpCode: refusal.httpCode, status: statusName(refusal.status), reason: refusal.message }, 'websocket connection refused');
      res.cork(() => {
        res.writeStatus(statusLine(refusal.httpCode)).writeHeader('Content-Type', 'application/json');
        for (const [name, value] of refusal.headers ?? []) res.writeHeader(name, value);
        res.end(errorBody(refusal.status, refusal.message), true);
      });
      return;
    }
    const userData = { principal: outcome.principal } as Connection;
    res.upgrade(userData, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
  }

  #startSweep(): void {
    if (this.#sweepTimer !== null) return;
    this.#sweepTimer = setInterval(() => this.#sweepOutput(), outputSweepIntervalMs);
    this.#sweepTimer.unref();
  }

  #stopSweep(): void {
    if (this.#sweepTimer === null) return;
    clearInterval(this.#sweepTimer);
    this.#sweepTimer = null;
  }

  /** Takes the sum of unread output; above the budget, closes the largest holders (output-budget.ts). */
  #sweepOutput(): void {
    let totalBytes = 0;
    for (const connection of this.#open) {
      const socket = connection.socket;
      connection.bufferedBytes = (socket === null ? 0 : socket.getBufferedAmount()) + connection.outboxBytes;
      totalBytes += connection.bufferedBytes;
    }
    this.#bufferedOutputBytes = totalBytes;
    const budgetBytes = this.#context.limits.maxBufferedOutputBytes;
    if (totalBytes <= budgetBytes) return;
    for (const connection of offendersToClose([...this.#open], budgetBytes)) {
      this.#context.logger.warn({ connection: connection.id, bufferedBytes: connection.bufferedBytes, totalBytes, budgetBytes }, 'websocket closed: unread output over maxBufferedOutputBytes');
      this.#bufferedOutputBytes -= connection.bufferedBytes;
      // close(), not end(): a close frame would queue behind the unread output it is meant to free.
      connection.socket?.close();
    }
  }

  #onOpen(ws: WebSocket<Connection>): void {
    const connection = ws.getUserData();
    connection.id = this.#nextConnectionId++;
    connection.socket = ws;
    connection.inFlight = 0;
    connection.outbox = [];
    connection.outboxBytes = 0;
    connection.queued = false;
    connection.subscriptions = this.#context.subscriptions?.connect(ws);
    connection.bufferedBytes = 0;
    this.#open.add(connection);
    this.#startSweep();
  }

  #onClose(ws: WebSocket<Connection>, code: number): void {
    const connection = ws.getUserData();
    // The socket may not be used after close: responses still running are dropped when they end.
    connection.socket = null;
    connection.outbox = [];
    connection.outboxBytes = 0;
    connection.subscriptions?.close();
    connection.subscriptions = undefined;
    this.#open.delete(connection);
    this.#context.logger.debug({ connection: connection.id, code, inFlight: connection.inFlight }, 'websocket closed');
  }

  #onMessage(ws: WebSocket<Connection>, message: ArrayBuffer, isBinary: boolean): void {
    const connection = ws.getUserData();
    const startedMs = performance.now();
    if (!isBinary) {
      this.#refuse(connection, null, Status.MalformedRequest, 'text frames are not requests: send a binary FlatBuffers Request');
      return;
    }
    // uWS frees the message when this handler returns and the decoded ops are views into the
    // frame: decode a copy that lives as long as the request.
    const decoded = decodeRequest(new Uint8Array(message.slice(0)));
    if (!decoded.ok) {
      this.#refuse(connection, decoded.id, decoded.status, decoded.message);
      return;
    }
    const { lifecycle, limits } = this.#context;
    if (!lifecycle.accepting) {
      this.#refuse(connection, decoded.id, Status.ShuttingDown, 'the server is shutting down');
      return;
    }
    if (connection.inFlight >= limits.requestsInFlightPerConnectionMax) {
      this.#refuse(connection, decoded.id, Status.Busy, `more than ${limits.requestsInFlightPerConnectionMax} requests in flight`);
      return;
    }
    if (this.#bufferedOutputBytes > limits.maxBufferedOutputBytes) {
      this.#refuse(connection, decoded.id, Status.Busy, 'the server holds too much unread output: retry later');
      return;
    }
    if (ws.getBufferedAmount() + connection.outboxBytes > limits.busyBackpressureBytes) {
      this.#refuse(connection, decoded.id, Status.Busy, 'responses are waiting to be read: read them before sending more');
      return;
    }
    this.#run(connection, decoded.id, decoded.ops, startedMs);
  }

  #run(connection: Connection, id: number, ops: WireOp[], startedMs: number): void {
    const { lifecycle } = this.#context;
    connection.inFlight++;
    lifecycle.begin();
    void runRequest(this.#context, ops, connection.subscriptions, connection.principal).then((results) => {
      connection.inFlight--;
      lifecycle.end();
      this.#countOps(ops, results);
      if (connection.socket === null) return;
      this.#enqueue(connection, encodeResponse(id, results));
      this.#latency.observe((performance.now() - startedMs) / 1000);
    });
  }

  #refuse(connection: Connection, id: number | null, status: Status, message: string): void {
    this.#context.metrics.countRequestFailure(wsTransport, status);
    this.#enqueue(connection, encodeRequestFailure(id, status, message));
  }

  #countOps(ops: readonly WireOp[], results: readonly ResultInput[]): void {
    const { metrics } = this.#context;
    for (let index = 0; index < ops.length; index++) {
      const result = results[index] as ResultInput;
      const status = 'status' in result ? result.status : Status.Ok;
      metrics.countOpKind(wsTransport, opKindIndex[(ops[index] as WireOp).op], status);
    }
  }

  #enqueue(connection: Connection, frame: Uint8Array): void {
    connection.outbox.push(frame);
    connection.outboxBytes += frame.byteLength;
    if (!connection.queued) {
      connection.queued = true;
      this.#flushList.push(connection);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushNow);
    }
  }

  #sendOutbox(connection: Connection, socket: WebSocket<Connection>): void {
    const outbox = connection.outbox;
    connection.outbox = [];
    connection.outboxBytes = 0;
    for (const frame of outbox) {
      // 2 = dropped: the connection passed backpressureBytesMax and uWS is closing it
      // (closeOnBackpressureLimit); the rest of the outbox would be dropped too.
      if (socket.send(frame, true) === 2) {
        this.#context.logger.warn({ connection: connection.id }, 'websocket closed: unread output passed backpressureBytesMax');
        return;
      }
    }
  }
}
