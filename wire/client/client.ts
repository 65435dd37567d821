// The Tessera client: one WebSocket, many requests in flight on it (pipelining, matched by id),
// reconnect with backoff when it drops.
//
// Lifecycle:  connecting ──open──► open ──drop──► reconnecting ──open──► open ...
//                 │                  │                 │
//               fails             close()           close()
//                 ▼                  ▼                 ▼
//   connect() rejects (ConnectionFailed)            closed: every call rejects ClientClosed
//
// When the socket drops, writes in flight fail with ConnectionLost (they may have been applied:
// re-sending could apply a put twice), reads in flight are sent again on the next socket, and
// calls made while reconnecting wait, unsent, until it opens or their timeout passes.

import { requestsInFlightPerConnectionMax } from '../../engine/layout/limits';
import { Status, statusName } from '../../engine/layout/status';
import type { Key, ScanOptions, ScanPage, Value } from '../../engine/layout/types';
import { decodeServerFrame } from '../codec/decode-server-frame';
import { encodeRequest } from '../codec/encode-request';
import { validateOpArguments } from '../../engine/layout/validate-op';
import type { ResponseFrame, WireOp, WireResult } from '../codec/wire-types';
import { reconnectDelayMs } from './backoff';
import type { BatchOp, BatchResult, ConnectOptions, DeleteOptions, GetResult, PutOptions, RecordMetadata } from './client-types';
import { EventRouter } from './event-router';
import { RequestTable } from './request-table';
import type { Subscription } from './subscription';
import { SubscriptionSet } from './subscription-set';
import type { SubscribeOptions } from './subscription-types';
import { TesseraError } from './tessera-error';
import { openSocket, resolveSocket, socketClosed, socketOpen, type SocketCloseEvent, type SocketConstructor, type SocketCredentials, type SocketLike } from './web-socket';

type ResolvedOptions = Required<Omit<ConnectOptions, 'WebSocket' | 'token' | 'ca'>>;

const defaultOptions: ResolvedOptions = {
  reconnect: true,
  reconnectDelayMsMin: 100,
  reconnectDelayMsMax: 10_000,
  requestTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  requestsPendingMax: requestsInFlightPerConnectionMax,
};
/** close() waits this long for the server's side of the closing handshake, then resolves anyway. */
const closeWaitMs = 1_000;
/** Timeouts are checked this often at most, so they fire up to this late. */
const timeoutSweepMsMax = 1_000;
/** Close code for "the server sent a frame we cannot read" (4000-4999: for applications). */
const closeCodeInvalidFrame = 4000;

type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Connects to a Tessera server (`ws://host:port/...`); rejects with ConnectionFailed. */
export function connect(url: string, options: ConnectOptions = {}): Promise<Client> {
  return Client.connect(url, options);
}

export class Client {
  readonly #url: string;
  readonly #options: ResolvedOptions;
  readonly #Socket: SocketConstructor;
  readonly #isNodeWs: boolean;
  readonly #credentials: SocketCredentials;
  readonly #requests = new RequestTable();
  /** Event frames with a subscription id go here; the subscription set registers the handlers. */
  readonly #events = new EventRouter();
  readonly #subscriptions = new SubscriptionSet(this.#events, {
    request: (op) => this.#single(op, false),
    isOpen: () => this.#state === 'open',
  });
  #state: ClientState = 'connecting';
  #socket: SocketLike | null = null;
  #nextId = 1;
  #reconnectAttempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #connectTimer: ReturnType<typeof setTimeout> | null = null;
  #sweepTimer: ReturnType<typeof setInterval> | null = null;
  #firstOpen: { resolve: () => void; reject: (error: TesseraError) => void } | null = null;

  private constructor(url: string, options: ConnectOptions) {
    this.#url = url;
    const resolvedSocket = resolveSocket(options.WebSocket);
    this.#Socket = resolvedSocket.Socket;
    this.#isNodeWs = resolvedSocket.isNodeWs;
    this.#credentials = {};
    if (options.token !== undefined) this.#credentials.token = options.token;
    if (options.ca !== undefined) this.#credentials.ca = options.ca;
    const resolved: ResolvedOptions = { ...defaultOptions };
    for (const name of Object.keys(defaultOptions) as (keyof ResolvedOptions)[]) {
      const given = options[name];
      if (given !== undefined) (resolved as Record<keyof ResolvedOptions, number | boolean>)[name] = given;
    }
    if (!(resolved.reconnectDelayMsMin > 0 && resolved.reconnectDelayMsMax >= resolved.reconnectDelayMsMin)) {
      throw new RangeError('need 0 < reconnectDelayMsMin <= reconnectDelayMsMax');
    }
    if (!(resolved.requestTimeoutMs >= 0 && resolved.connectTimeoutMs > 0 && resolved.requestsPendingMax > 0)) {
      throw new RangeError('requestTimeoutMs, connectTimeoutMs and requestsPendingMax must be positive');
    }
    this.#options = resolved;
  }

  static connect(url: string, options: ConnectOptions = {}): Promise<Client> {
    let client: Client;
    try {
      client = new Client(url, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<Client>((resolve, reject) => {
      client.#firstOpen = { resolve: () => resolve(client), reject };
      client.#openSocket();
    });
  }

  /** The record, or null when there is none. */
  async get(ns: string, key: Key): Promise<GetResult | null> {
    const result = await this.#single({ op: 'get', ns, key }, true);
    if (result.status === Status.NotFound) return null;
    throwUnlessOk(result);
    if (result.value === null) throw TesseraError.client('ProtocolError', 'a get answered Ok without a value');
    return { value: result.value, ...metadataOf(result) };
  }

  /** The record's metadata without its value, or null when there is none. */
  async head(ns: string, key: Key): Promise<RecordMetadata | null> {
    const result = await this.#single({ op: 'head', ns, key }, true);
    if (result.status === Status.NotFound) return null;
    throwUnlessOk(result);
    return metadataOf(result);
  }

  /** Writes the record; throws GenerationMismatch, AlreadyExists (create), NotFound (update)... */
  async put(ns: string, key: Key, value: Value, options: PutOptions = {}): Promise<{ generation: number }> {
    const result = await this.#single(
      { op: 'put', ns, key, value, ttl: options.ttl, ifGeneration: options.ifGeneration, mode: options.mode, contentType: options.contentType },
      false,
    );
    throwUnlessOk(result);
    return { generation: result.generation };
  }

  /** true when the record was deleted, false when there was none; throws GenerationMismatch. */
  async delete(ns: string, key: Key, options: DeleteOptions = {}): Promise<boolean> {
    const result = await this.#single({ op: 'delete', ns, key, ifGeneration: options.ifGeneration }, false);
    if (result.status === Status.NotFound) return false;
    throwUnlessOk(result);
    return true;
  }

  /** Sets a new TTL (absent: the namespace default); the new metadata, or null when there is no record. */
  async touch(ns: string, key: Key, ttl?: number): Promise<RecordMetadata | null> {
    const result = await this.#single({ op: 'touch', ns, key, ttl }, false);
    if (result.status === Status.NotFound) return null;
    throwUnlessOk(result);
    return metadataOf(result);
  }

  /** One page of records in key order within each partition; pass `cursor` back for the next. */
  async scan(ns: string, options: ScanOptions = {}): Promise<ScanPage> {
    const result = await this.#single(
      { op: 'scan', ns, prefix: options.prefix, limit: options.limit, cursor: options.cursor, values: options.values },
      true,
    );
    throwUnlessOk(result);
    return { records: Array.from(result.records), cursor: result.cursor };
  }

  /**
   * Sends every op in one frame; one result per op, in order. A failing op is a result with its
   * status, not an exception; only a failure of the whole request throws.
   */
  async batch(ops: readonly BatchOp[]): Promise<BatchResult[]> {
    const readOnly = ops.every((op) => op.op === 'get' || op.op === 'head' || op.op === 'scan');
    const frame = await this.#request(ops, readOnly);
    if (frame.results.length !== ops.length) {
      throw TesseraError.client('ProtocolError', `${ops.length} ops, ${frame.results.length} results`);
    }
    return frame.results.map(batchResultOf);
  }

  /**
   * Subscribes to one key, a key prefix, or (neither) a whole namespace; returns an async iterable
   * of events (subscription-types.ts), in LSN order, each change once. `ready` resolves once the
   * subscription is live. After a reconnect it resumes from the last LSN it delivered, so the
   * caller sees no gap and no duplicate; when the server no longer holds those changes it yields
   * a Gap event instead. Errors (UnknownNamespace, InvalidArgument...) reject next().
   * Subscriptions are not re-sent as requests: a subscribe is not a readOnly request.
   */
  subscribe(options: SubscribeOptions): Subscription {
    return this.#subscriptions.add(options);
  }

  /** Closes the connection and stops reconnecting; pending requests fail with ClientClosed. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#subscriptions.closeAll();
    this.#stopTimers();
    this.#requests.rejectAll(TesseraError.client('ClientClosed'));
    const socket = this.#socket;
    this.#socket = null;
    if (socket === null || socket.readyState === socketClosed) return;
    await new Promise<void>((resolve) => {
      const fallback = setTimeout(resolve, closeWaitMs);
      socket.onclose = () => {
        clearTimeout(fallback);
        resolve();
      };
      socket.close(1000, 'client closed');
    });
  }

  async #single(op: WireOp, readOnly: boolean): Promise<WireResult> {
    const frame = await this.#request([op], readOnly);
    const result = frame.results[0];
    if (frame.results.length !== 1 || result === undefined) {
      throw TesseraError.client('ProtocolError', `1 op, ${frame.results.length} results`);
    }
    return result;
  }

  #request(ops: readonly WireOp[], readOnly: boolean): Promise<ResponseFrame> {
    if (this.#state === 'closed') return Promise.reject(TesseraError.client('ClientClosed'));
    for (let index = 0; index < ops.length; index++) {
      const status = validateOpArguments(ops[index]!);
      if (status !== Status.Ok) return Promise.reject(TesseraError.fromStatus(status, `op ${index}: ${statusName(status)}`));
    }
    if (this.#requests.size >= this.#options.requestsPendingMax) {
      return Promise.reject(TesseraError.fromStatus(Status.Busy, `${this.#requests.size} requests pending in the client`));
    }
    const id = this.#nextId;
    this.#nextId = id >= Number.MAX_SAFE_INTEGER ? 1 : id + 1;
    let frame: Uint8Array;
    try {
      frame = encodeRequest(id, ops);
    } catch (error) {
      // Only values no type allows get here (a JavaScript caller passing a number as a key).
      return Promise.reject(TesseraError.fromStatus(Status.InvalidArgument, String(error)));
    }
    const timeoutMs = this.#options.requestTimeoutMs;
    return new Promise<ResponseFrame>((resolve, reject) => {
      const deadlineMs = timeoutMs > 0 ? performance.now() + timeoutMs : Number.POSITIVE_INFINITY;
      const request = { id, frame, readOnly, deadlineMs, sent: false, resolve, reject };
      this.#requests.add(request);
      const socket = this.#socket;
      if (this.#state === 'open' && socket !== null && socket.readyState === socketOpen) {
        socket.send(frame);
        request.sent = true;
      }
    });
  }

  #openSocket(): void {
    let socket: SocketLike;
    try {
      socket = openSocket(this.#Socket, this.#isNodeWs, this.#url, this.#credentials);
    } catch (error) {
      // A malformed URL throws at once; there is nothing to retry.
      this.#connectionFailed(`cannot open ${this.#url}: ${String(error)}`);
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    this.#connectTimer = setTimeout(() => {
      this.#connectTimer = null;
      if (socket === this.#socket && socket.readyState !== socketOpen) socket.close();
    }, this.#options.connectTimeoutMs);
    // Events of a socket that is no longer the current one (replaced or closed) are ignored.
    socket.onopen = () => {
      if (socket !== this.#socket) return;
      this.#clearConnectTimer();
      this.#opened();
    };
    socket.onmessage = (event) => {
      if (socket === this.#socket) this.#received(socket, event.data);
    };
    socket.onclose = (event) => {
      if (socket !== this.#socket) return;
      this.#clearConnectTimer();
      this.#closed(event);
    };
    // ws throws an 'error' event nobody listens to; a close event always follows it.
    socket.onerror = () => undefined;
  }

  #opened(): void {
    this.#state = 'open';
    this.#reconnectAttempt = 0;
    if (this.#firstOpen !== null) {
      this.#startTimeoutSweep();
      this.#firstOpen.resolve();
      this.#firstOpen = null;
    }
    const socket = this.#socket;
    if (socket === null) return;
    for (const request of this.#requests.unsent()) {
      socket.send(request.frame);
      request.sent = true;
    }
    this.#subscriptions.connectionOpened();
  }

  #received(socket: SocketLike, data: unknown): void {
    const frame = data instanceof ArrayBuffer ? decodeServerFrame(new Uint8Array(data)) : null;
    if (frame === null || frame.type === 'invalid') {
      // A server we cannot understand: drop the connection; reads are sent again after reconnecting.
      socket.close(closeCodeInvalidFrame, 'invalid frame from server');
      return;
    }
    if (frame.type === 'event') {
      // Sub id 0: published to a topic, for whichever subscriptions match its key.
      if (frame.subId === 0) this.#subscriptions.routeShared(frame.change);
      else this.#events.route(frame);
      return;
    }
    // A refusal without an id answers a request whose id the server could not read: no request
    // can be matched, and that request fails by its timeout.
    if (frame.id === null) return;
    const request = this.#requests.take(frame.id);
    if (request === undefined) return; // answered after its timeout
    if (frame.status !== Status.Ok) request.reject(TesseraError.fromStatus(frame.status, frame.message));
    else request.resolve(frame);
  }

  #closed(event: SocketCloseEvent): void {
    this.#socket = null;
    if (this.#state === 'connecting') {
      this.#connectionFailed(`cannot connect to ${this.#url} (close code ${event.code}${event.reason === '' ? '' : `: ${event.reason}`})`);
      return;
    }
    if (this.#state === 'closed') return;
    this.#subscriptions.connectionLost();
    this.#requests.connectionLost();
    if (!this.#options.reconnect) {
      this.#state = 'closed';
      this.#stopTimers();
      this.#requests.rejectAll(TesseraError.client('ConnectionLost'));
      this.#subscriptions.failAll(TesseraError.client('ConnectionLost', 'the connection dropped and reconnect is off'));
      return;
    }
    this.#state = 'reconnecting';
    this.#scheduleReconnect();
  }

  #connectionFailed(message: string): void {
    if (this.#state === 'connecting') {
      this.#state = 'closed';
      this.#firstOpen?.reject(TesseraError.client('ConnectionFailed', message));
      this.#firstOpen = null;
      return;
    }
    if (this.#state === 'reconnecting') this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delayMs = reconnectDelayMs(this.#reconnectAttempt, this.#options.reconnectDelayMsMin, this.#options.reconnectDelayMsMax);
    this.#reconnectAttempt += 1;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#state === 'reconnecting') this.#openSocket();
    }, delayMs);
  }

  #startTimeoutSweep(): void {
    const timeoutMs = this.#options.requestTimeoutMs;
    if (timeoutMs === 0) return;
    this.#sweepTimer = setInterval(() => this.#requests.expire(performance.now()), Math.min(timeoutMs, timeoutSweepMsMax));
    // The sweep alone must not keep a Node process alive (browsers have no unref).
    const timer: unknown = this.#sweepTimer;
    if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') timer.unref();
  }

  #clearConnectTimer(): void {
    if (this.#connectTimer !== null) clearTimeout(this.#connectTimer);
    this.#connectTimer = null;
  }

  #stopTimers(): void {
    this.#clearConnectTimer();
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    if (this.#sweepTimer !== null) clearInterval(this.#sweepTimer);
    this.#reconnectTimer = null;
    this.#sweepTimer = null;
  }
}

function throwUnlessOk(result: WireResult): void {
  if (result.status !== Status.Ok) throw TesseraError.fromStatus(result.status, result.message);
}

function metadataOf(result: WireResult): RecordMetadata {
  return { generation: result.generation, expiry: result.expiry, lastModified: result.lastModified, contentType: result.contentType };
}

function batchResultOf(result: WireResult): BatchResult {
  return {
    status: statusName(result.status),
    code: result.status,
    message: result.message,
    value: result.value,
    created: result.created,
    records: result.records,
    cursor: result.cursor,
    generation: result.generation,
    expiry: result.expiry,
    lastModified: result.lastModified,
    contentType: result.contentType,
  };
}
