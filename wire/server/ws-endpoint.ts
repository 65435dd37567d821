// The WebSocket endpoint, /v1/ws: binary FlatBuffers frames, many requests in flight per
// connection, each answered by one Response carrying its id.
//
//   message ──► decodeRequest in place (verifier) ──► checks ──► key ops: engine.submit (ws-submit.ts)
//                     │ fails                          │          else: copy frame, runRequest
//                     ▼                                │ draining: ShuttingDown
//           Response{id?, status}                      │ too many in flight /
//                                                      │ too much unread output: Busy
//                                                      ▼
//   outbox arena ──(setImmediate, once per event-loop turn)──► ws.cork(send every pending response)
//
// The frame is read where uWS put it: a request of valid key ops is submitted before the handler
// returns and the engine copies keys and values into its shard batches, so only a request that
// holds views past the handler (scan, subscribe, an invalid op, a test engine without submit())
// is decoded again from a copy. Responses are encoded into the shared builder and copied into one
// reused arena (ws-outbox.ts), gathered per connection and sent in one cork per turn, so the many
// responses of a pipelined burst leave in one syscall and no ArrayBuffer is made per response. Output a client leaves unread is bounded twice: above
// busyBackpressureBytes new requests are answered Busy (a few bytes) instead of run, and above
// backpressureBytesMax uWS closes the connection (closeOnBackpressureLimit) rather than buffer more.
// Their sum is bounded too (output-budget.ts, together with HTTP responses): above
// maxBufferedOutputBytes every connection is answered Busy and the largest holders are closed.
// Upgrades past maxConnections (WebSockets and HTTP responses held, counted together) are refused 503.

import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { EngineApi } from '../../engine/front/engine-api';
import { assert } from '../../engine/layout/assert';
import { Status, statusName } from '../../engine/layout/status';
import type { NamespaceConfig } from '../../engine/layout/types';
import { decodeRequest, type ResultInput, type WireOp } from '../codec';
import { KeyOpReader } from '../codec/key-op-reader';
import { encodeRequestFailureView, encodeResponseView } from '../codec/encode-response';
import { releaseLargeBuilder } from '../codec/frame-builder';
import type { Principal } from './access-control';
import type { Lifecycle } from './lifecycle';
import type { UwsModule } from './load-uws';
import type { Logger } from './logger';
import { RateLimitedLog } from './rate-limited-log';
import { UnreadSample, type OutputBudget, type OutputHolder, type OutputSource } from './output-budget';
import { opKindIndex, transportIndex, type LatencyObserver, type ServerMetrics } from './metrics';
import type { ServerLimits } from './server-config';
import type { ConnectionSubscriptions, SubscriptionHub } from './subscriptions';
import { errorBody } from './http-exchange';
import { statusLine } from './http-status';
import { runRequest } from './ws-request';
import { OutboxArena } from './ws-outbox';
import { opSubmitterOf, WsSubmitPath } from './ws-submit';
import type { ViewMessageBehavior } from './io-threads/io-thread-host';
import { RemoteSocket } from './io-threads/remote-socket';

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
  /** The process-wide output budget and connection count this endpoint is a source of. */
  budget: OutputBudget;
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
  /** Encoded responses waiting for this turn's flush: [start, end) pairs in the endpoint's arena. */
  outboxSpans: number[];
  /** Their bytes: unread output uWS does not know about yet, counted for Busy. */
  outboxBytes: number;
  /** In the endpoint's flush list already. */
  queued: boolean;
  subscriptions: ConnectionSubscriptions | undefined;
  /** Unread output at the last sweep (output-budget.ts). */
  bufferedBytes: number;
  /** Whether that output is being read, across sweeps. */
  unread: UnreadSample;
  /** The token presented on the upgrade; null with access control off. Checked per op. */
  principal: Principal | null;
  /** The socket is on an I/O thread (io-threads/): answers are sent flagged as answers. */
  remote: RemoteSocket<Connection> | null;
}

const wsTransport = transportIndex.ws;

export class WsEndpoint implements OutputSource {
  readonly #context: WsContext;
  readonly #latency: LatencyObserver;
  readonly #open = new Set<Connection>();
  /** Connections with responses in their outbox, flushed together once per event-loop turn. */
  #flushList: Connection[] = [];
  #flushScheduled = false;
  #nextConnectionId = 1;
  readonly #flushNow = (): void => this.flush();
  /** Unread output of every connection at the last sweep (output-budget.ts). */
  #bufferedBytes = 0;

  readonly #refusalLog: RateLimitedLog;
  /** Every connection's pending responses, reset after each flush. */
  readonly #arena = new OutboxArena();
  /** The submit() path for requests of valid key ops; null for an engine without submit(). */
  readonly #fast: WsSubmitPath<Connection> | null;
  /** Reads requests of key ops in place for the fast path (key-op-reader.ts). */
  readonly #keyOps = new KeyOpReader();
  /** The connection flush() is sending, for the one #sendCorked closure (no closure per cork). */
  #corked: Connection | null = null;
  readonly #sendCorked = (): void => this.#sendOutbox(this.#corked as Connection);

  constructor(context: WsContext) {
    this.#context = context;
    this.#latency = context.metrics.latency('ws');
    this.#refusalLog = new RateLimitedLog(context.logger);
    const submitter = opSubmitterOf(context.engine);
    this.#fast = submitter === null ? null : new WsSubmitPath<Connection>(submitter, context.metrics, (connection, frame, startedMs) => this.#answer(connection, frame, startedMs));
  }

  get connections(): number {
    return this.#open.size;
  }

  /** Unread output summed over every connection, as of the last sweep. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  /** Samples every connection's unread output (uWS's buffered amount plus its outbox). */
  refresh(): number {
    let totalBytes = 0;
    for (const connection of this.#open) {
      const socket = connection.socket;
      connection.bufferedBytes = (socket === null ? 0 : socket.getBufferedAmount()) + connection.outboxBytes;
      connection.unread.sample(connection.bufferedBytes);
      totalBytes += connection.bufferedBytes;
    }
    this.#bufferedBytes = totalBytes;
    return totalBytes;
  }

  /** Only when over budget: one small object per connection, so the sweep can close any kind. */
  collect(into: OutputHolder[]): void {
    for (const connection of this.#open) {
      const socket = connection.socket;
      if (socket === null) continue;
      into.push({
        kind: 'websocket',
        id: connection.id,
        bufferedBytes: connection.bufferedBytes,
        stalled: connection.unread.stalled,
        // close(), not end(): a close frame would queue behind the unread output it is meant to free.
        closeForOutput: () => {
          this.#bufferedBytes -= connection.bufferedBytes;
          connection.bufferedBytes = 0;
          socket.close();
        },
      });
    }
  }

  behavior(uws: UwsModule): WebSocketBehavior<Connection> & ViewMessageBehavior<Connection> {
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
      message: (ws, message, isBinary) => this.#onMessage(ws, new Uint8Array(message), isBinary),
      // A frame an I/O thread relayed, as a view into its batch (io-threads/io-thread-host.ts).
      messageView: (ws: WebSocket<Connection>, frame: Uint8Array, isBinary: boolean) => this.#onMessage(ws, frame, isBinary),
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
      this.#corked = connection;
      socket.cork(this.#sendCorked);
    }
    this.#corked = null;
    // A response queued while sending (none is expected) keeps its bytes until the next flush.
    if (this.#flushList.length === 0) this.#arena.reset();
  }

  /** Ends every connection with a close frame (shutdown). */
  closeAll(code: number, reason: string): void {
    for (const connection of [...this.#open]) connection.socket?.end(code, reason);
  }

  /**
   * Admission, before any WebSocket exists: past maxConnections the upgrade is answered 503 and
   * the client never holds a socket's worth of buffers.
   */
  #onUpgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const { limits } = this.#context;
    const outcome: UpgradeRefusal | UpgradeAdmission =
      this.#context.budget.full
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

  #onOpen(ws: WebSocket<Connection>): void {
    const connection = ws.getUserData();
    connection.id = this.#nextConnectionId++;
    connection.socket = ws;
    connection.remote = (ws as unknown) instanceof RemoteSocket ? (ws as unknown as RemoteSocket<Connection>) : null;
    connection.inFlight = 0;
    connection.outboxSpans = [];
    connection.outboxBytes = 0;
    connection.queued = false;
    connection.subscriptions = this.#context.subscriptions?.connect(ws);
    connection.bufferedBytes = 0;
    connection.unread = new UnreadSample();
    this.#open.add(connection);
  }

  #onClose(ws: WebSocket<Connection>, code: number): void {
    const connection = ws.getUserData();
    // The socket may not be used after close: responses still running are dropped when they end.
    connection.socket = null;
    connection.outboxSpans.length = 0;
    connection.outboxBytes = 0;
    connection.subscriptions?.close();
    connection.subscriptions = undefined;
    this.#open.delete(connection);
    this.#context.logger.debug({ connection: connection.id, code, inFlight: connection.inFlight }, 'websocket closed');
  }

  /** frame: where uWS (or the relay) put it, valid during this call only. */
  #onMessage(ws: WebSocket<Connection>, message: Uint8Array, isBinary: boolean): void {
    const connection = ws.getUserData();
    const startedMs = performance.now();
    if (!isBinary) {
      this.#refuse(connection, null, Status.MalformedRequest, 'text frames are not requests: send a binary FlatBuffers Request');
      return;
    }
    // uWS frees the message when this handler returns and the decoded ops are views into the
    // frame. Read in place; a request that must outlive the handler is decoded again from a copy.
    // Key ops are read by the key-op reader (no object per op); anything else, or anything it
    // does not take, by the general decoder, which also gives every refusal its status.
    const fast = this.#fast;
    const keyOps = this.#keyOps;
    let id: number;
    let ops: readonly WireOp[];
    const frame = fast === null ? message.slice() : message;
    if (fast !== null && keyOps.read(frame)) {
      id = keyOps.id;
      ops = keyOps.ops;
    } else {
      const decoded = decodeRequest(frame);
      if (!decoded.ok) {
        this.#refuse(connection, decoded.id, decoded.status, decoded.message);
        return;
      }
      id = decoded.id;
      ops = decoded.ops;
    }
    const { lifecycle, limits } = this.#context;
    if (!lifecycle.accepting) {
      this.#refuse(connection, id, Status.ShuttingDown, 'the server is shutting down');
      return;
    }
    if (connection.inFlight >= limits.requestsInFlightPerConnectionMax) {
      this.#refuse(connection, id, Status.Busy, `more than ${limits.requestsInFlightPerConnectionMax} requests in flight`);
      return;
    }
    if (this.#context.budget.over) {
      this.#refuse(connection, id, Status.Busy, 'the server holds too much unread output: retry later');
      return;
    }
    if (ws.getBufferedAmount() + connection.outboxBytes > limits.busyBackpressureBytes) {
      this.#refuse(connection, id, Status.Busy, 'responses are waiting to be read: read them before sending more');
      return;
    }
    connection.inFlight++;
    lifecycle.begin();
    if (fast !== null && fast.tryRun(connection, id, ops, connection.principal, startedMs)) return;
    let owned = ops as WireOp[];
    if (fast !== null) {
      const copied = decodeRequest(message.slice());
      assert(copied.ok, 'a frame that decoded in place decodes from its copy');
      owned = copied.ops;
    }
    this.#run(connection, id, owned, startedMs);
  }

  /** The Promise path (ws-request.ts): scans, subscriptions, invalid ops, a test engine. */
  #run(connection: Connection, id: number, ops: WireOp[], startedMs: number): void {
    void runRequest(this.#context, ops, connection.subscriptions, connection.principal).then((results) => {
      this.#countOps(ops, results);
      this.#answer(connection, encodeResponseView(id, results), startedMs);
      releaseLargeBuilder();
    });
  }

  /** A request's Response (a view into the shared builder, copied here): ends its in-flight count. */
  #answer(connection: Connection, frame: Uint8Array, startedMs: number): void {
    connection.inFlight--;
    this.#context.lifecycle.end();
    if (connection.socket === null) return;
    this.#enqueue(connection, frame);
    this.#latency.observe((performance.now() - startedMs) / 1000);
  }

  #refuse(connection: Connection, id: number | null, status: Status, message: string): void {
    this.#context.metrics.countRequestFailure(wsTransport, status);
    this.#enqueue(connection, encodeRequestFailureView(id, status, message));
    releaseLargeBuilder();
  }

  #countOps(ops: readonly WireOp[], results: readonly ResultInput[]): void {
    const { metrics } = this.#context;
    for (let index = 0; index < ops.length; index++) {
      const result = results[index] as ResultInput;
      const status = 'status' in result ? result.status : Status.Ok;
      metrics.countOpKind(wsTransport, opKindIndex[(ops[index] as WireOp).op], status);
    }
  }

  /** Copies the frame (maybe a view into the shared builder) into the arena for this turn's flush. */
  #enqueue(connection: Connection, frame: Uint8Array): void {
    const start = this.#arena.append(frame);
    connection.outboxSpans.push(start, start + frame.byteLength);
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

  #sendOutbox(connection: Connection): void {
    const socket = connection.socket as WebSocket<Connection>;
    const spans = connection.outboxSpans;
    connection.outboxBytes = 0;
    const arena = this.#arena;
    const remote = connection.remote;
    for (let index = 0; index < spans.length; index += 2) {
      const frame = arena.view(spans[index] as number, spans[index + 1] as number);
      // 2 = dropped: the connection passed backpressureBytesMax and uWS is closing it
      // (closeOnBackpressureLimit); the rest of the outbox would be dropped too. uWS copies what
      // it sends (or buffers) before send() returns, so the arena may be reused after the flush.
      if ((remote === null ? socket.send(frame, true) : remote.sendAnswer(frame)) === 2) {
        this.#context.logger.warn({ connection: connection.id }, 'websocket closed: unread output passed backpressureBytesMax');
        break;
      }
    }
    spans.length = 0;
  }
}
