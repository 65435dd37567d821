// An I/O thread (a worker thread of the server process): its own uWS app on the node's port
// (SO_REUSEPORT: the kernel spreads new connections over the threads listening), holding the
// sockets that land here and relaying what arrives on them to the front thread, which runs every
// request, subscription and admin route as it does for its own sockets (io-thread-host.ts).
//
//   socket ──► uWS (this thread: parse, unmask, TLS) ──► Up records, one post per turn ──► front
//   socket ◄── uWS ◄── Down records (send, publish, subscribe, HTTP answers), in order ◄── front
//
// What this thread saves the front: the system calls and the framing of its sockets (most of the
// front's CPU per op is the kernel: docs/PERFORMANCE.md). What it costs: a copy of every frame in
// each direction and a post per turn.

import { parentPort, workerData } from 'node:worker_threads';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, us_socket_context_t, WebSocket } from 'uWebSockets.js';
import { loadUws } from '../load-uws';
import { createApp, reloadServerNames, type TlsConfig } from '../tls-files';
import { DownRecord, RelayReader, RelayWriter, UpRecord, writeHead, type RelayedHead } from './relay-codec';
import type { WsRouteSettings } from './route-table';
import type { DirectReadSources } from '../../../engine/front/direct-read';
import { opKindIndex, ServerMetrics, transportIndex, type MetricSources } from '../metrics';
import { Status } from '../../../engine/layout/status';
import { LocalCount, LocalReads } from './local-reads';
import { LocalHttp, type LocalHttpConfig } from './local-http';
import { SharedTables } from './shared-tables';
import { sendFlagAnswer, sendFlagBinary } from './send-flags';

/** What an I/O thread needs to answer reads itself (local-reads.ts); null: it relays every request. */
export interface LocalReadsData {
  /** The WebSocket route whose frames it may answer (the endpoint's). */
  pattern: string;
  sources: DirectReadSources;
  /** One Int32 the front keeps: local-reads.ts gateOpen or gateClosed. */
  gate: SharedArrayBuffer;
  busyBackpressureBytes: number;
  /** GET and HEAD of records over HTTP (local-http.ts). */
  http: LocalHttpConfig;
}

export interface IoWorkerData {
  /** 1.. (the front thread is 0). */
  threadIndex: number;
  host: string;
  port: number;
  tls: TlsConfig | null;
  wsRoutes: WsRouteSettings[];
  localReads: LocalReadsData | null;
}

/** Control messages (objects; the records travel as ArrayBuffers). */
export type IoWorkerCommand = { type: 'stopListening' } | { type: 'close' } | { type: 'reloadTls' };
export type IoWorkerEvent = { type: 'listening' } | { type: 'listenFailed'; message: string } | { type: 'closed' } | { type: 'tlsReloadFailed'; message: string };

/** How often every socket's buffered amount is reported when it changed (remote-socket.ts). */
const bufferedReportMs = 20;

interface SocketData {
  connId: number;
  reportedBytes: number;
  appliedBytes: number;
  /** Per namespace id, 1 where the connection's token may read; empty: no local reads on it. */
  readable: Uint8Array;
  /** Requests relayed to the front and not answered yet (its answers are flagged). */
  unanswered: number;
  /** Topics the socket is subscribed to (a publish can grow its unread output unseen). */
  topics: number;
}

/** Local-read counts and latencies are reported every statsEveryReports buffered reports. */
const statsEveryReports = 5;

/** A relayed HTTP request (or upgrade) waiting for its answer. */
interface PendingResponse {
  res: HttpResponse;
  aborted: boolean;
  /** Upgrades only. */
  secKey: string;
  context: us_socket_context_t | null;
  /** tryEnd chunks the socket could not take yet, in order. */
  queued: { chunk: Uint8Array; totalSize: number }[];
  /** Waiting for the socket to take more (onWritable is set). */
  writing: boolean;
}

const decoder = new TextDecoder();

class IoThread {
  readonly #data: IoWorkerData;
  readonly #app: TemplatedApp;
  readonly #up = new RelayWriter();
  #flushScheduled = false;
  readonly #flushNow = (): void => this.#flush();
  #nextId = 1;
  readonly #pending = new Map<number, PendingResponse>();
  readonly #sockets = new Map<number, WebSocket<SocketData>>();
  /**
   * Sockets the report timer visits: those with subscriptions (a publish grows their unread output
   * with no send of ours) and those last reported holding unread output (to see it drain). Every
   * other socket is reported after the batch that sent to it, so an idle connection costs no visit.
   */
  readonly #watched = new Set<WebSocket<SocketData>>();
  /** From localReads: past it, a read is relayed so the front answers Busy. */
  readonly #busyBackpressureBytes: number;
  #listenSocket: us_listen_socket | null = null;
  readonly #reportTimer: NodeJS.Timeout;
  readonly #serverNames = new Set<string>();
  readonly #local: LocalReads | null;
  readonly #http: LocalHttp | null;
  /** What this thread answers itself is counted here and reported to the front's (#reportLocalReads). */
  readonly #metrics = new ServerMetrics(unscrapedSources, { defaultMetrics: false });
  readonly #wsLatency = this.#metrics.latency('ws');
  readonly #counters = new Float64Array(this.#metrics.counterSlots);
  #reports = 0;

  constructor(data: IoWorkerData) {
    this.#data = data;
    const uws = loadUws();
    this.#app = createApp(uws, data.tls);
    const localReads = data.localReads;
    const tables = localReads === null ? null : new SharedTables(localReads.sources);
    this.#local = localReads === null || tables === null ? null : new LocalReads(tables, localReads.gate);
    this.#http = localReads === null || tables === null ? null : new LocalHttp(tables, localReads.gate, localReads.http, this.#metrics);
    this.#busyBackpressureBytes = localReads?.busyBackpressureBytes ?? 0;
    for (const route of data.wsRoutes) {
      const local = data.localReads !== null && route.pattern === data.localReads.pattern ? this.#local : null;
      this.#app.ws<SocketData>(route.pattern, {
        compression: route.compression,
        maxPayloadLength: route.maxPayloadLength,
        maxBackpressure: route.maxBackpressure,
        closeOnBackpressureLimit: route.closeOnBackpressureLimit ? 1 : 0,
        idleTimeout: route.idleTimeout,
        sendPingsAutomatically: route.sendPingsAutomatically,
        upgrade: (res, req, context) => this.#onUpgrade(res, req, context),
        open: (ws) => {
          const socket = ws.getUserData();
          this.#sockets.set(socket.connId, ws);
          this.#up.u8(UpRecord.Open).u32(socket.connId);
          this.#flushSoon();
        },
        message: (ws, message, isBinary) => {
          const socket = ws.getUserData();
          if (local !== null && isBinary && socket.unanswered === 0 && this.#answerLocally(local, ws, message)) return;
          if (local !== null) socket.unanswered++;
          this.#up.u8(UpRecord.Message).u32(socket.connId).u8(isBinary ? 1 : 0).bytes(message);
          this.#flushSoon();
        },
        drain: (ws) => {
          this.#report(ws);
          this.#up.u8(UpRecord.Drain).u32(ws.getUserData().connId);
          this.#flushSoon();
        },
        close: (ws, code) => {
          const connId = ws.getUserData().connId;
          this.#sockets.delete(connId);
          this.#watched.delete(ws);
          this.#up.u8(UpRecord.Close).u32(connId).u32(code);
          this.#flushSoon();
        },
      });
    }
    this.#app.any('/*', (res, req) => this.#onRequest(res, req));
    this.#reportTimer = setInterval(() => {
      for (const ws of this.#watched) this.#report(ws);
      if (++this.#reports % statsEveryReports === 0) this.#reportLocalReads();
    }, bufferedReportMs);
  }

  listen(): void {
    // Options 0: SO_REUSEPORT (the front listens the same way, having checked the port is ours).
    (this.#app.listen as unknown as (host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void) => void)(this.#data.host, this.#data.port, 0, (socket) => {
      if (socket === false) {
        post({ type: 'listenFailed', message: `I/O thread ${this.#data.threadIndex} cannot listen on ${this.#data.host}:${this.#data.port}` });
        return;
      }
      this.#listenSocket = socket;
      post({ type: 'listening' });
    });
  }

  command(command: IoWorkerCommand): void {
    if (command.type === 'stopListening') {
      if (this.#listenSocket !== null) loadUws().us_listen_socket_close(this.#listenSocket);
      this.#listenSocket = null;
    } else if (command.type === 'reloadTls') {
      if (this.#data.tls === null) return;
      try {
        reloadServerNames(this.#app, this.#data.tls, this.#serverNames);
      } catch (error: unknown) {
        post({ type: 'tlsReloadFailed', message: error instanceof Error ? error.message : String(error) });
      }
    } else {
      this.#reportLocalReads();
      this.#flush();
      clearInterval(this.#reportTimer);
      (this.#app as TemplatedApp & { close?: () => void }).close?.();
      post({ type: 'closed' });
      parentPort?.close();
    }
  }

  /** A batch of Down records from the front, applied in order. */
  apply(buffer: ArrayBuffer): void {
    const reader = new RelayReader(buffer);
    const touched = new Set<WebSocket<SocketData>>();
    while (!reader.done) {
      const kind = reader.u8() as DownRecord;
      switch (kind) {
        case DownRecord.Accept: {
          const reqId = reader.u32();
          const protocol = reader.string();
          const extensions = reader.string();
          const readable = reader.bytes().slice();
          const pending = this.#take(reqId);
          if (pending === null || pending.context === null) break;
          const { res, secKey, context } = pending;
          const socket: SocketData = { connId: reqId, reportedBytes: 0, appliedBytes: 0, readable, unanswered: 0, topics: 0 };
          res.cork(() => res.upgrade<SocketData>(socket, secKey, protocol, extensions, context));
          break;
        }
        case DownRecord.Send: {
          const ws = this.#sockets.get(reader.u32());
          const flags = reader.u8();
          const bytes = reader.bytes();
          if (ws === undefined) break;
          // 2: uWS dropped the frame (past maxBackpressure on a route that does not close for it).
          // The front was told the send went through (remote-socket.ts cannot know yet), and a
          // stream missing a frame is broken: close the socket, as closeOnBackpressureLimit would.
          if (ws.send(bytes, (flags & sendFlagBinary) !== 0) === 2) {
            ws.close();
            break;
          }
          const socket = ws.getUserData();
          socket.appliedBytes += bytes.byteLength;
          if ((flags & sendFlagAnswer) !== 0 && socket.unanswered > 0) socket.unanswered--;
          touched.add(ws);
          break;
        }
        case DownRecord.Subscribe:
        case DownRecord.Unsubscribe: {
          const ws = this.#sockets.get(reader.u32());
          const topic = reader.string();
          if (ws === undefined) break;
          // The front sends each (socket, topic) once each way (remote-socket.ts), so this counts.
          const socket = ws.getUserData();
          if (kind === DownRecord.Subscribe) {
            ws.subscribe(topic);
            socket.topics++;
            this.#watched.add(ws);
          } else {
            ws.unsubscribe(topic);
            socket.topics--;
          }
          break;
        }
        case DownRecord.Publish: {
          const topic = reader.string();
          const isBinary = reader.u8() === 1;
          this.#app.publish(topic, reader.bytes(), isBinary, false);
          break;
        }
        case DownRecord.End: {
          const ws = this.#sockets.get(reader.u32());
          const code = reader.u32();
          const reason = reader.string();
          ws?.end(code, reason);
          break;
        }
        case DownRecord.CloseNow:
          this.#sockets.get(reader.u32())?.close();
          break;
        default:
          this.#applyHttp(kind, reader);
      }
    }
    for (const ws of touched) this.#report(ws);
    this.#flushSoon();
  }

  #applyHttp(kind: DownRecord, reader: RelayReader): void {
    const reqId = reader.u32();
    const pending = this.#pending.get(reqId);
    switch (kind) {
      case DownRecord.Status: {
        const status = reader.string();
        if (pending !== undefined && !pending.aborted) pending.res.cork(() => pending.res.writeStatus(status));
        return;
      }
      case DownRecord.Header: {
        const name = reader.string();
        const value = reader.string();
        if (pending !== undefined && !pending.aborted) pending.res.cork(() => pending.res.writeHeader(name, value));
        return;
      }
      case DownRecord.EndBody: {
        const closeConnection = reader.u8() === 1;
        const body = reader.bytes();
        if (pending !== undefined && !pending.aborted) pending.res.cork(() => pending.res.end(body, closeConnection));
        this.#pending.delete(reqId);
        return;
      }
      case DownRecord.EndWithoutBody: {
        const reported = reader.f64();
        const closeConnection = reader.u8() === 1;
        // No length (a 204 or 304): endWithoutBody() with no arguments, as content-read.ts endEmpty
        // does; endWithoutBody(undefined, …) makes uWS.js write `Content-Length: 9223372036854775808`
        // and the keep-alive connection is lost (io-threads-e2e.test.ts: If-None-Match 304).
        if (pending !== undefined && !pending.aborted) pending.res.cork(() => (reported < 0 ? pending.res.endWithoutBody() : pending.res.endWithoutBody(reported, closeConnection)));
        this.#pending.delete(reqId);
        return;
      }
      case DownRecord.TryEnd: {
        const totalSize = reader.f64();
        // Kept past this batch when the socket cannot take it now: copied.
        const chunk = reader.bytes().slice();
        if (pending === undefined || pending.aborted) return;
        pending.queued.push({ chunk, totalSize });
        if (!pending.writing) this.#writeQueued(reqId, pending);
        return;
      }
      case DownRecord.CloseResponse:
        if (pending !== undefined && !pending.aborted) pending.res.close();
        this.#pending.delete(reqId);
        return;
      default:
        throw new Error(`unknown relay record ${kind as number}`);
    }
  }

  /** Writes queued tryEnd chunks until the socket pushes back; resumes on writable. */
  #writeQueued(reqId: number, pending: PendingResponse): void {
    const { res } = pending;
    while (pending.queued.length > 0) {
      const next = pending.queued[0] as { chunk: Uint8Array; totalSize: number };
      const startOffset = res.getWriteOffset();
      let ok = false;
      let done = false;
      res.cork(() => {
        [ok, done] = res.tryEnd(next.chunk, next.totalSize);
      });
      if (done) {
        this.#pending.delete(reqId);
        return;
      }
      if (ok) {
        pending.queued.shift();
        continue;
      }
      // Part (maybe none) of the chunk was taken: keep the rest and wait for the socket.
      const taken = res.getWriteOffset() - startOffset;
      next.chunk = next.chunk.subarray(taken);
      pending.writing = true;
      res.onWritable(() => {
        pending.writing = false;
        this.#writeQueued(reqId, pending);
        return true;
      });
      return;
    }
  }

  #onUpgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const head = this.#headOf(res, req);
    this.#pending.set(head.reqId, { res, aborted: false, secKey: req.getHeader('sec-websocket-key'), context, queued: [], writing: false });
    this.#watchAbort(res, head.reqId);
    writeHead(this.#up, UpRecord.Upgrade, head);
    this.#flushSoon();
  }

  #onRequest(res: HttpResponse, req: HttpRequest): void {
    if (this.#http !== null && this.#http.serve(res, req)) return;
    const head = this.#headOf(res, req);
    const reqId = head.reqId;
    this.#pending.set(reqId, { res, aborted: false, secKey: '', context: null, queued: [], writing: false });
    this.#watchAbort(res, reqId);
    writeHead(this.#up, UpRecord.Request, head);
    res.onData((chunk, isLast) => {
      this.#up.u8(UpRecord.Data).u32(reqId).u8(isLast ? 1 : 0).bytes(chunk);
      this.#flushSoon();
    });
    this.#flushSoon();
  }

  #headOf(res: HttpResponse, req: HttpRequest): RelayedHead {
    const headers: [string, string][] = [];
    req.forEach((name, value) => headers.push([name, value]));
    return {
      reqId: this.#nextId++,
      method: req.getCaseSensitiveMethod(),
      url: req.getUrl(),
      query: req.getQuery() ?? '',
      remoteAddress: decoder.decode(res.getRemoteAddressAsText()),
      headers,
    };
  }

  #watchAbort(res: HttpResponse, reqId: number): void {
    res.onAborted(() => {
      const pending = this.#pending.get(reqId);
      if (pending !== undefined) pending.aborted = true;
      this.#pending.delete(reqId);
      this.#up.u8(UpRecord.Aborted).u32(reqId);
      this.#flushSoon();
    });
  }

  #take(reqId: number): PendingResponse | null {
    const pending = this.#pending.get(reqId);
    if (pending === undefined || pending.aborted) return null;
    this.#pending.delete(reqId);
    return pending;
  }

  /** True when answered here (local-reads.ts says when it may); false: relay the frame. */
  #answerLocally(local: LocalReads, ws: WebSocket<SocketData>, message: ArrayBuffer): boolean {
    const startedMs = performance.now();
    if (ws.getBufferedAmount() > this.#busyBackpressureBytes) return false;
    const answer = local.answer(new Uint8Array(message), ws.getUserData().readable);
    if (answer === null) return false;
    ws.send(answer, true);
    this.#metrics.countOpKind(wsTransport, local.lastWasGet ? opKindIndex.get : opKindIndex.head, local.lastFound ? Status.Ok : Status.NotFound);
    this.#wsLatency.observe((performance.now() - startedMs) / 1000);
    return true;
  }

  /** What this thread answered since the last report: for /status and the front's metrics. */
  #reportLocalReads(): void {
    const local = this.#local;
    const http = this.#http;
    if (local === null || http === null) return;
    const counts = local.counts;
    const wsAnswered = counts[LocalCount.GetOk]! + counts[LocalCount.GetNotFound]! + counts[LocalCount.HeadOk]! + counts[LocalCount.HeadNotFound]!;
    const fallbacks = counts[LocalCount.Fallbacks]! + http.fallbacks;
    if (wsAnswered === 0 && http.answered === 0 && fallbacks === 0) return;
    const writer = this.#up.u8(UpRecord.LocalReads).f64(wsAnswered).f64(http.answered).f64(fallbacks);
    counts.fill(0);
    http.answered = 0;
    http.fallbacks = 0;
    this.#metrics.takeCounters(this.#counters);
    writer.u32(this.#counters.length);
    for (const count of this.#counters) writer.f64(count);
    this.#flushSoon();
  }

  #report(ws: WebSocket<SocketData>): void {
    const socket = ws.getUserData();
    const buffered = ws.getBufferedAmount();
    if (buffered > 0 || socket.topics > 0) this.#watched.add(ws);
    else this.#watched.delete(ws);
    if (buffered === socket.reportedBytes && socket.appliedBytes === 0) return;
    this.#up.u8(UpRecord.Buffered).u32(socket.connId).u32(buffered).u32(socket.appliedBytes);
    socket.reportedBytes = buffered;
    socket.appliedBytes = 0;
    this.#flushSoon();
  }

  /** Once per turn, after uWS has delivered everything it read in this one (setImmediate). */
  #flushSoon(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(this.#flushNow);
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#up.length === 0) return;
    const buffer = this.#up.take();
    parentPort?.postMessage(buffer, [buffer]);
  }
}

const wsTransport = transportIndex.ws;

/** This thread's metrics are taken and merged into the front's, never scraped here. */
const unscraped = (): never => {
  throw new Error('an I/O thread\'s metrics are merged into the front\'s, not scraped');
};
const unscrapedSources: MetricSources = { engineStats: unscraped, connections: unscraped, requestsInFlight: unscraped, subscriptions: unscraped, bufferedOutputBytes: unscraped };

function post(event: IoWorkerEvent): void {
  parentPort?.postMessage(event);
}

if (parentPort !== null && (workerData as IoWorkerData | undefined)?.threadIndex !== undefined) {
  const thread = new IoThread(workerData as IoWorkerData);
  parentPort.on('message', (message: ArrayBuffer | IoWorkerCommand) => {
    if (message instanceof ArrayBuffer) thread.apply(message);
    else thread.command(message);
  });
  thread.listen();
}

