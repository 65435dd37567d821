// More than one I/O thread (config ioThreads): the front thread keeps its uWS app and every route,
// and each further thread (io-worker.ts) runs a uWS app on the same port. The kernel spreads new
// connections over the listening threads (SO_REUSEPORT); a thread other than the front relays
// what its sockets receive to the front, which runs it through the very handlers its own sockets
// use (the routes recorded by route-table.ts), on stand-ins for the socket (remote-socket.ts) and
// the HTTP request and response (relayed-http.ts). So every route, limit, status and subscription
// rule holds on every thread, and there is still one front that owns the engine, the change log,
// the metrics and the output budget.
//
// This is Redis 6's io-threads design: I/O threads read, parse and write; one thread executes.
// uWS's publish does not cross threads, so the front forwards a published frame to each I/O thread
// that has a subscriber on its topic, and that thread publishes it to its own sockets.
//
// Per I/O thread, one Link: a MessagePort each way carrying batches of records (relay-codec.ts),
// one batch per event-loop turn on each side.

import { Worker } from 'node:worker_threads';
import path from 'node:path';
import type { TemplatedApp, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { Logger } from '../logger';
import type { TopicPublisher } from '../subscriptions/subscription-hub';
import type { TlsConfig } from '../tls-files';
import { ServerError } from '../server-errors';
import { DownRecord, readHead, RelayReader, RelayWriter, UpRecord } from './relay-codec';
import { RelayedRequest, RelayedResponse, type DownLink } from './relayed-http';
import { RemoteSocket, TopicCounts } from './remote-socket';
import type { RouteTable } from './route-table';
import type { IoWorkerCommand, IoWorkerData, IoWorkerEvent } from './io-worker';
import type { LocalHttpConfig } from './local-http';
import type { DirectReadSources } from '../../../engine/front/direct-read';
import { gateClosed, gateOpen } from './local-reads';

/** The I/O threads' read fast path (local-reads.ts), as the front configures it. */
export interface LocalReadOptions {
  /** The WebSocket route whose reads the threads may answer (the endpoint's). */
  pattern: string;
  sources: DirectReadSources;
  busyBackpressureBytes: number;
  /** Per namespace id, 1 where the connection (its upgrade's user data) may read. */
  readable(userData: unknown): Uint8Array;
  /** GET and HEAD over HTTP answered on the threads too (local-http.ts): the front's config for them. */
  http: LocalHttpConfig;
  /** What a thread answered since its last report, as its metrics counted it (ServerMetrics.takeCounters). */
  onCounters(counters: Float64Array): void;
}

/** A behavior that can take a frame as a view into a relayed batch (ws-endpoint.ts), saving a copy. */
export interface ViewMessageBehavior<UserData> {
  messageView?: (ws: WebSocket<UserData>, frame: Uint8Array, isBinary: boolean) => void;
}

/** How long close() waits for an I/O thread to close its sockets before it is terminated. */
const closeWaitMs = 2_000;

export interface IoThreadStatus {
  /** 0: the front thread, which runs every request; 1..: threads that relay to it. */
  thread: number;
  role: 'front' | 'relay';
  /** Relay threads: WebSockets open there. */
  connections?: number;
  /** Relay threads: HTTP requests relayed and not yet answered. */
  httpInFlight?: number;
  /** Relay threads: WebSocket messages and HTTP requests relayed since start. */
  messagesRelayed?: number;
  httpRequestsRelayed?: number;
  /**
   * Relay threads: WebSocket gets and heads answered there from the shared tables (local-reads.ts),
   * HTTP GETs and HEADs answered there (local-http.ts), and reads of either it relayed instead
   * because the table could not prove them consistent.
   */
  readsAnswered?: number;
  httpAnswered?: number;
  readFallbacks?: number;
}

interface PendingUpgrade {
  behavior: WebSocketBehavior<unknown>;
  userData: unknown;
  remoteAddress: string;
}

/** The front's side of one I/O thread. */
class Link implements DownLink {
  readonly thread: number;
  readonly writer = new RelayWriter();
  readonly topicCounts = new TopicCounts();
  readonly sockets = new Map<number, RemoteSocket>();
  readonly responses = new Map<number, RelayedResponse>();
  readonly #upgrades = new Map<number, PendingUpgrade>();
  readonly #worker: Worker;
  readonly #routes: RouteTable;
  readonly #logger: Logger;
  #flushQueued = false;
  readonly #flushNow = (): void => this.#flush();
  #alive = true;
  /** Set by close(): the thread's exit is then expected. */
  closing = false;
  messagesRelayed = 0;
  httpRequestsRelayed = 0;
  readsAnswered = 0;
  httpAnswered = 0;
  readFallbacks = 0;

  readonly #localReads: LocalReadOptions | null;

  constructor(thread: number, worker: Worker, routes: RouteTable, logger: Logger, localReads: LocalReadOptions | null) {
    this.#localReads = localReads;
    this.thread = thread;
    this.#worker = worker;
    this.#routes = routes;
    this.#logger = logger;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** After the callback that wrote (a batch handled, a flush of responses): one post per turn. */
  flushSoon(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(this.#flushNow);
  }

  finished(reqId: number): void {
    this.responses.delete(reqId);
  }

  /** After the records already written: a close must not overtake the close frames before it. */
  command(command: IoWorkerCommand): void {
    this.#flush();
    if (this.#alive) this.#worker.postMessage(command);
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.writer.length === 0) return;
    const buffer = this.writer.take();
    if (this.#alive) this.#worker.postMessage(buffer, [buffer]);
  }

  /** A batch of Up records from the thread, handled in order. */
  receive(buffer: ArrayBuffer): void {
    const reader = new RelayReader(buffer);
    while (!reader.done) {
      const kind = reader.u8() as UpRecord;
      switch (kind) {
        case UpRecord.Message: {
          const socket = this.sockets.get(reader.u32());
          const isBinary = reader.u8() === 1;
          const frame = reader.bytes();
          if (socket === undefined || socket.closed) break;
          this.messagesRelayed++;
          const behavior = socket.behavior as WebSocketBehavior<unknown> & ViewMessageBehavior<unknown>;
          if (behavior.messageView !== undefined) behavior.messageView(socket.asUws(), frame, isBinary);
          else behavior.message?.(socket.asUws(), frame.slice().buffer as ArrayBuffer, isBinary);
          break;
        }
        case UpRecord.Buffered: {
          const socket = this.sockets.get(reader.u32());
          const buffered = reader.u32();
          const applied = reader.u32();
          socket?.report(buffered, applied);
          break;
        }
        case UpRecord.Request:
        case UpRecord.Upgrade:
          this.#onHead(kind, reader);
          break;
        case UpRecord.Data: {
          const response = this.responses.get(reader.u32());
          const isLast = reader.u8() === 1;
          const chunk = reader.bytes();
          response?.receiveData(chunk, isLast);
          break;
        }
        case UpRecord.Aborted: {
          const reqId = reader.u32();
          this.#upgrades.delete(reqId);
          this.responses.get(reqId)?.abort();
          this.responses.delete(reqId);
          break;
        }
        case UpRecord.Open:
          this.#onOpen(reader.u32());
          break;
        case UpRecord.Drain: {
          const socket = this.sockets.get(reader.u32());
          if (socket !== undefined && !socket.closed) socket.behavior.drain?.(socket.asUws());
          break;
        }
        case UpRecord.LocalReads: {
          this.readsAnswered += reader.f64();
          this.httpAnswered += reader.f64();
          this.readFallbacks += reader.f64();
          const counters = new Float64Array(reader.u32());
          for (let slot = 0; slot < counters.length; slot++) counters[slot] = reader.f64();
          this.#localReads?.onCounters(counters);
          break;
        }
        case UpRecord.Close: {
          const connId = reader.u32();
          const code = reader.u32();
          this.#onClose(connId, code);
          break;
        }
        default:
          throw new Error(`unknown relay record ${kind as number}`);
      }
    }
  }

  #onHead(kind: UpRecord.Request | UpRecord.Upgrade, reader: RelayReader): void {
    const head = readHead(reader);
    const request = new RelayedRequest(head);
    const response = new RelayedResponse(head.reqId, this, head.remoteAddress);
    this.responses.set(head.reqId, response);
    if (kind === UpRecord.Request) {
      this.httpRequestsRelayed++;
      const handler = this.#routes.httpHandler(request.getMethod(), head.url);
      if (handler === null) response.writeStatus('404 Not Found').end();
      else handler(response.asUws(), request.asUws());
      return;
    }
    const behavior = this.#routes.wsBehavior(head.url);
    if (behavior === null) {
      response.writeStatus('404 Not Found').end();
      return;
    }
    if (behavior.upgrade !== undefined) {
      // uWS passes a socket context to complete the upgrade with; the I/O thread holds the real one.
      behavior.upgrade(response.asUws(), request.asUws(), null as never);
    } else {
      response.upgrade({}, request.getHeader('sec-websocket-key'), request.getHeader('sec-websocket-protocol'), request.getHeader('sec-websocket-extensions'), null as never);
    }
    if (response.accepted === null) return;
    this.responses.delete(head.reqId);
    this.#upgrades.set(head.reqId, { behavior, userData: response.accepted.userData, remoteAddress: head.remoteAddress });
    const local = this.#localReads;
    const readable = local !== null && local.pattern === head.url ? local.readable(response.accepted.userData) : new Uint8Array(0);
    this.writer.u8(DownRecord.Accept).u32(head.reqId).string(response.accepted.protocol).string(response.accepted.extensions).bytes(readable);
    this.flushSoon();
  }

  #onOpen(connId: number): void {
    const upgrade = this.#upgrades.get(connId);
    if (upgrade === undefined) return;
    this.#upgrades.delete(connId);
    const socket = new RemoteSocket(connId, this, this.topicCounts, upgrade.behavior, upgrade.userData, upgrade.remoteAddress);
    this.sockets.set(connId, socket);
    upgrade.behavior.open?.(socket.asUws());
  }

  #onClose(connId: number, code: number): void {
    const socket = this.sockets.get(connId);
    if (socket === undefined) return;
    this.sockets.delete(connId);
    socket.markClosed();
    socket.behavior.close?.(socket.asUws(), code, new ArrayBuffer(0));
  }

  /** The thread is gone (it exited or threw): its sockets closed with it. */
  lost(): void {
    if (!this.#alive) return;
    this.#alive = false;
    for (const connId of [...this.sockets.keys()]) this.#onClose(connId, 1006);
    for (const response of this.responses.values()) response.abort();
    this.responses.clear();
    this.#upgrades.clear();
    if (!this.closing) this.#logger.error({ ioThread: this.thread }, 'an I/O thread stopped: its connections were closed');
  }
}

export interface IoThreadOptions {
  /** Threads besides the front (ioThreads - 1). */
  extraThreads: number;
  host: string;
  /** The port the front listens on (the one it got, when 0 was asked). */
  port: number;
  tls: TlsConfig | null;
  routes: RouteTable;
  /** null: the threads relay every request. */
  localReads: LocalReadOptions | null;
}

export class IoThreadHost {
  readonly #links: Link[] = [];
  readonly #workers: Worker[] = [];
  readonly #logger: Logger;
  /** local-reads.ts's gate: the front opens it while reads may be answered without it. */
  readonly #gate = new Int32Array(new SharedArrayBuffer(4));

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Open while the node serves reads normally; closed while recovering, draining and after. */
  setGate(open: boolean): void {
    Atomics.store(this.#gate, 0, open ? gateOpen : gateClosed);
  }

  /** Starts the threads; resolves when every one listens on the port, rejects if one cannot. */
  async start(options: IoThreadOptions): Promise<void> {
    const wsRoutes = options.routes.wsSettings();
    const started: Promise<void>[] = [];
    for (let thread = 1; thread <= options.extraThreads; thread++) {
      const local = options.localReads;
      const localReads = local === null ? null : { pattern: local.pattern, sources: local.sources, gate: this.#gate.buffer as SharedArrayBuffer, busyBackpressureBytes: local.busyBackpressureBytes, http: local.http };
      const workerData: IoWorkerData = { threadIndex: thread, host: options.host, port: options.port, tls: options.tls, wsRoutes, localReads };
      const worker = new Worker(path.join(__dirname, 'io-worker.js'), { workerData });
      const link = new Link(thread, worker, options.routes, this.#logger, local);
      this.#workers.push(worker);
      this.#links.push(link);
      started.push(new Promise<void>((resolve, reject) => {
        worker.on('message', (message: ArrayBuffer | IoWorkerEvent) => {
          if (message instanceof ArrayBuffer) link.receive(message);
          else if (message.type === 'listening') resolve();
          else if (message.type === 'listenFailed') reject(new ServerError('ListenFailed', message.message));
          else if (message.type === 'tlsReloadFailed') this.#logger.error({ ioThread: thread }, `tls reload failed on an I/O thread: ${message.message}`);
        });
        worker.once('error', (error) => {
          this.#logger.error({ err: error, ioThread: thread }, 'an I/O thread failed');
          reject(error);
        });
        worker.once('exit', () => {
          link.lost();
          reject(new ServerError('ListenFailed', `I/O thread ${thread} exited before it listened`));
        });
      }));
    }
    try {
      await Promise.all(started);
    } catch (error: unknown) {
      await this.close();
      throw error;
    }
  }

  /** The hub's publisher: the front's app, and each I/O thread with a subscriber on the topic. */
  publisher(app: TemplatedApp): TopicPublisher {
    const links = this.#links;
    return {
      publish(topic: string, message: Uint8Array, isBinary: boolean, compress: boolean): boolean {
        let delivered = app.publish(topic, message, isBinary, compress);
        for (const link of links) {
          if (!link.alive || !link.topicCounts.has(topic)) continue;
          link.writer.u8(DownRecord.Publish).string(topic).u8(isBinary ? 1 : 0).bytes(message);
          link.flushSoon();
          delivered = true;
        }
        return delivered;
      },
    };
  }

  status(): IoThreadStatus[] {
    const threads: IoThreadStatus[] = [{ thread: 0, role: 'front' }];
    for (const link of this.#links) {
      threads.push({
        thread: link.thread,
        role: 'relay',
        connections: link.sockets.size,
        httpInFlight: link.responses.size,
        messagesRelayed: link.messagesRelayed,
        httpRequestsRelayed: link.httpRequestsRelayed,
        readsAnswered: link.readsAnswered,
        httpAnswered: link.httpAnswered,
        readFallbacks: link.readFallbacks,
      });
    }
    return threads;
  }

  stopListening(): void {
    for (const link of this.#links) link.command({ type: 'stopListening' });
  }

  reloadTls(): void {
    for (const link of this.#links) link.command({ type: 'reloadTls' });
  }

  /** Each thread closes its app (its sockets) and exits; one that does not within closeWaitMs is terminated. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map(async (worker, index) => {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      const link = this.#links[index] as Link;
      link.closing = true;
      link.command({ type: 'close' });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), closeWaitMs);
      });
      if ((await Promise.race([exited, late])) === 'late') {
        this.#logger.warn({ ioThread: index + 1 }, 'an I/O thread did not close in time: terminated');
        await worker.terminate();
      }
      clearTimeout(timer);
    }));
  }
}
