// The Tessera client: one WebSocket, many requests in flight on it (pipelining, matched by id),
// calls of one turn gathered into one frame, a byte-bounded queue behind the in-flight window,
// reconnect with backoff when the socket drops.
//
// Lifecycle (status):  connecting ──open──► ready ──drop──► reconnecting ──open──► ready ...
//                          │                  │                  │
//                        fails             close()            close()
//                          ▼                  ▼                  ▼
//   connect() rejects (ConnectionFailed)             closed: every call rejects ClientClosed
//
// A call's way out (auto-pipelining, as ioredis's enableAutoPipelining):
//
//   put/get/... ──check args──► CallQueue ──(one microtask per turn)──► flush: while the window
//   (TypeError or a status        (bytes ≤ queueBytesMax,              has room, the oldest calls
//    before anything is sent)      else QueueFull)                     that fit become ONE Request
//                                                                      frame (≤ 1024 ops, ~1 MiB)
//   response ──► RequestTable.take(id) ──► each call gets its own result(s) ──► flush again
//
// So 100 000 puts made at once leave as ~100 frames, at most requestsInFlightMax of them in flight,
// and the server's per-op results come back to each call as if it had been sent alone.
// When the socket drops, write calls in flight fail with ConnectionLost (they may have been
// applied: re-sending could apply a put twice), read calls in flight go back to the front of the
// queue, and queued calls wait until the socket opens again or their timeout passes.

import { opsPerRequestMax } from '../../engine/layout/limits';
import { Status } from '../../engine/layout/status';
import type { Key, ScanOptions, ScanPage, Value } from '../../engine/layout/types';
import { utf8ByteLength } from '../../engine/layout/utf8-byte-length';
import { validateOpArguments } from '../../engine/layout/validate-op';
import { decodeServerFrame } from '../codec/decode-server-frame';
import { encodeRequest, encodeRequestView } from '../codec/encode-request';
import { releaseLargeBuilder } from '../codec/frame-builder';
import type { ResponseFrame, WireOp, WireResult } from '../codec/wire-types';
import {
  checkBatchOps,
  checkKeyType,
  checkNamespace,
  checkOptions,
  checkValueType,
  deleteOptionFields,
  describeValue,
  explainRefusal,
  opFailureMessage,
  opLabel,
  purgeOptionFields,
  putOptionFields,
  scanOptionFields,
} from './argument-checks';
import { reconnectDelayMs } from './backoff';
import { CallQueue, type FrameBounds, type PendingCall } from './call-queue';
import { CallShape, ClientCall } from './client-call';
import { ClientEvents, type ClientEventListener, type ClientEventName, type ClientStatus } from './client-events';
import type { BatchOp, BatchResult, ConnectOptions, DeleteOptions, GetResult, PurgeOptions, PutOptions, RecordMetadata } from './client-types';
import { EventRouter } from './event-router';
import { RequestTable, type PendingRequest } from './request-table';
import type { Subscription } from './subscription';
import { SubscriptionSet } from './subscription-set';
import type { SubscribeOptions } from './subscription-types';
import { TesseraError } from './tessera-error';
import { listenForMessages, openSocket, resolveSocket, socketClosed, socketOpen, type SocketCloseEvent, type SocketConstructor, type SocketCredentials, type SocketLike } from './web-socket';

type ResolvedOptions = Required<Omit<ConnectOptions, 'WebSocket' | 'token' | 'ca'>>;

const defaultOptions: ResolvedOptions = {
  reconnect: true,
  reconnectDelayMsMin: 100,
  reconnectDelayMsMax: 10_000,
  requestTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  // Far below the server's default requestsInFlightPerConnectionMax (8192): with up to 1024 calls
  // per frame, 64 frames keep 65 536 calls in flight, more than a connection needs to stay busy.
  requestsInFlightMax: 64,
  // Far above an ordinary burst: 100 000 puts of 1 KiB are ~110 MiB.
  queueBytesMax: 256 * 1024 * 1024,
  autoPipelining: true,
};
const optionTypes = {
  WebSocket: 'function',
  reconnect: 'boolean',
  reconnectDelayMsMin: 'number',
  reconnectDelayMsMax: 'number',
  requestTimeoutMs: 'number',
  connectTimeoutMs: 'number',
  requestsInFlightMax: 'number',
  queueBytesMax: 'number',
  autoPipelining: 'boolean',
  token: 'string',
  /** A PEM string or its bytes. */
  ca: 'string or Uint8Array',
} as const satisfies Record<keyof ConnectOptions, string>;

/**
 * One frame of gathered calls: at most opsPerRequestMax ops (the server refuses more with
 * TooManyOps), about 1 MiB of request (the server's frame limit is 8 MiB), and at most 64 gets or
 * scans, whose answers may be large (64 values of the default 1 MiB limit stay under the 100 MiB the
 * Node transport accepts in one message, as `ws` does). One call larger than that goes alone.
 */
const frameBounds: FrameBounds = { opsMax: opsPerRequestMax, bytesMax: 1024 * 1024, heavyOpsMax: 64, callsMax: Number.POSITIVE_INFINITY };
/** autoPipelining false: one call per frame. */
const singleCallBounds: FrameBounds = { ...frameBounds, callsMax: 1 };
/** Fixed bytes counted per op on top of its strings, for the queue bound and frame packing. */
const opBytesOverhead = 64;
/** The options of a call made without any (a default parameter would be a new object per call). */
const noOptions = Object.freeze({});
/** A frame refused Busy with nothing else in flight is sent again after this long. */
const busyRetryMs = 20;
/** close() waits this long for the server's side of the closing handshake, then resolves anyway. */
const closeWaitMs = 1_000;
/** Timeouts are checked this often at most, so they fire up to this late. */
const timeoutSweepMsMax = 1_000;
/** Close code for "the server sent a frame we cannot read" (4000-4999: for applications). */
const closeCodeInvalidFrame = 4000;

type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Connects to a Tessera server (`ws://host:port/v1/ws`); rejects with ConnectionFailed. */
export function connect(url: string, options: ConnectOptions = {}): Promise<Client> {
  return Client.connect(url, options);
}

export class Client {
  readonly #url: string;
  readonly #options: ResolvedOptions;
  readonly #Socket: SocketConstructor;
  readonly #isNodeSocket: boolean;
  readonly #credentials: SocketCredentials;
  readonly #requests = new RequestTable();
  readonly #queue: CallQueue;
  readonly #emitter = new ClientEvents();
  /** Event frames with a subscription id go here; the subscription set registers the handlers. */
  readonly #events = new EventRouter();
  readonly #subscriptions = new SubscriptionSet(this.#events, {
    request: (op) => this.#enqueue([op], CallShape.Raw, false, true) as Promise<WireResult>,
    isOpen: () => this.#state === 'open',
  });
  #state: ClientState = 'connecting';
  #socket: SocketLike | null = null;
  #nextId = 1;
  #nextSeq = 1;
  /** Frames sent, and the index of the last one that carried a write (for Busy, below). */
  #framesSent = 0;
  #lastWriteFrameIndex = -1;
  /** Frames in flight at most: requestsInFlightMax, lowered to what the server took when it answers Busy, then grown back. */
  #window: number;
  #flushScheduled = false;
  #reconnectAttempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #connectTimer: ReturnType<typeof setTimeout> | null = null;
  #busyTimer: ReturnType<typeof setTimeout> | null = null;
  #sweepTimer: ReturnType<typeof setInterval> | null = null;
  #firstOpen: { resolve: () => void; reject: (error: TesseraError) => void } | null = null;

  private constructor(url: string, options: ConnectOptions) {
    if (typeof url !== 'string') throw new TypeError(`connect: url must be a string such as 'ws://127.0.0.1:7700/v1/ws', got ${describeValue(url)}`);
    checkConnectOptions(options);
    this.#url = url;
    const resolvedSocket = resolveSocket(options.WebSocket);
    this.#Socket = resolvedSocket.Socket;
    this.#isNodeSocket = resolvedSocket.isNodeSocket;
    this.#credentials = {};
    if (options.token !== undefined) this.#credentials.token = options.token;
    if (options.ca !== undefined) this.#credentials.ca = options.ca;
    const resolved: ResolvedOptions = { ...defaultOptions };
    for (const name of Object.keys(defaultOptions) as (keyof ResolvedOptions)[]) {
      const given = options[name];
      if (given !== undefined) (resolved as Record<keyof ResolvedOptions, number | boolean>)[name] = given;
    }
    if (!(resolved.reconnectDelayMsMin > 0 && resolved.reconnectDelayMsMax >= resolved.reconnectDelayMsMin)) {
      throw new RangeError('connect: need 0 < reconnectDelayMsMin <= reconnectDelayMsMax');
    }
    if (!(resolved.requestTimeoutMs >= 0 && resolved.connectTimeoutMs > 0 && resolved.queueBytesMax > 0)) {
      throw new RangeError('connect: requestTimeoutMs must be 0 or more, connectTimeoutMs and queueBytesMax more than 0');
    }
    if (!(Number.isInteger(resolved.requestsInFlightMax) && resolved.requestsInFlightMax >= 1)) {
      throw new RangeError(`connect: requestsInFlightMax must be an integer of 1 or more, got ${resolved.requestsInFlightMax}`);
    }
    this.#options = resolved;
    this.#window = resolved.requestsInFlightMax;
    this.#queue = new CallQueue(resolved.queueBytesMax);
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

  /** 'connecting' until the first open, 'ready' while calls are sent at once, 'reconnecting', 'closed'. */
  get status(): ClientStatus {
    return this.#state === 'open' ? 'ready' : this.#state;
  }

  /** Listens to connection events: connect, disconnect, reconnecting, error (client-events.ts). */
  on<Name extends ClientEventName>(name: Name, listener: ClientEventListener<Name>): this {
    this.#emitter.on(name, listener);
    return this;
  }

  once<Name extends ClientEventName>(name: Name, listener: ClientEventListener<Name>): this {
    this.#emitter.once(name, listener);
    return this;
  }

  off<Name extends ClientEventName>(name: Name, listener: ClientEventListener<Name>): this {
    this.#emitter.off(name, listener);
    return this;
  }

  /** The record, or null when there is none. */
  get(ns: string, key: Key): Promise<GetResult | null> {
    try {
      checkNamespace('get', ns);
      checkKeyType('get', key);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call({ op: 'get', ns, key }, CallShape.Get, true) as Promise<GetResult | null>;
  }

  /** The record's metadata without its value, or null when there is none. */
  head(ns: string, key: Key): Promise<RecordMetadata | null> {
    try {
      checkNamespace('head', ns);
      checkKeyType('head', key);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call({ op: 'head', ns, key }, CallShape.Head, true) as Promise<RecordMetadata | null>;
  }

  /** Writes the record; throws GenerationMismatch, AlreadyExists (create), NotFound (update)... */
  put(ns: string, key: Key, value: Value, options: PutOptions = noOptions): Promise<{ generation: number }> {
    try {
      checkNamespace('put', ns);
      checkKeyType('put', key);
      checkValueType('put', value);
      checkOptions('put', options, putOptionFields);
    } catch (error) {
      return Promise.reject(error);
    }
    const op: WireOp = { op: 'put', ns, key, value, ttl: options.ttl, ifGeneration: options.ifGeneration, mode: options.mode, contentType: options.contentType, tags: options.tags };
    return this.#call(op, CallShape.Put, false) as Promise<{ generation: number }>;
  }

  /** true when the record was deleted, false when there was none; throws GenerationMismatch. */
  delete(ns: string, key: Key, options: DeleteOptions = noOptions): Promise<boolean> {
    try {
      checkNamespace('delete', ns);
      checkKeyType('delete', key);
      checkOptions('delete', options, deleteOptionFields);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call({ op: 'delete', ns, key, ifGeneration: options.ifGeneration }, CallShape.Delete, false) as Promise<boolean>;
  }

  /**
   * Deletes every record under a non-empty prefix, or every record carrying any of the tags (give
   * one of the two), each deletion an ordinary change subscribers see; needs the admin role on the
   * namespace. Resolves with how many it deleted. A record written before the purge began is
   * deleted; one written while it runs may or may not be.
   */
  purge(options: PurgeOptions): Promise<{ deleted: number }> {
    try {
      if (typeof options !== 'object' || options === null) throw new TypeError(`purge: options must be an object, got ${describeValue(options)}`);
      checkOptions('purge', options, purgeOptionFields);
      checkNamespace('purge', options.ns);
    } catch (error) {
      return Promise.reject(error);
    }
    const op: WireOp = options.tags !== undefined ? { op: 'purge', ns: options.ns, tags: options.tags } : { op: 'purge', ns: options.ns, prefix: options.prefix ?? '' };
    if (options.tags !== undefined && options.prefix !== undefined) op.prefix = options.prefix;
    return this.#call(op, CallShape.Purge, false) as Promise<{ deleted: number }>;
  }

  /** Sets a new TTL (absent: the namespace default); the new metadata, or null when there is no record. */
  touch(ns: string, key: Key, ttl?: number): Promise<RecordMetadata | null> {
    try {
      checkNamespace('touch', ns);
      checkKeyType('touch', key);
      if (ttl !== undefined && typeof ttl !== 'number') throw new TypeError(`touch: ttl must be a number of seconds, got ${describeValue(ttl)}`);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call({ op: 'touch', ns, key, ttl }, CallShape.Touch, false) as Promise<RecordMetadata | null>;
  }

  /** One page of records in key order within each partition; pass `cursor` back for the next. */
  scan(ns: string, options: ScanOptions = noOptions): Promise<ScanPage> {
    try {
      checkNamespace('scan', ns);
      checkOptions('scan', options, scanOptionFields);
    } catch (error) {
      return Promise.reject(error);
    }
    const op: WireOp = { op: 'scan', ns, prefix: options.prefix, limit: options.limit, cursor: options.cursor, values: options.values };
    return this.#call(op, CallShape.Scan, true) as Promise<ScanPage>;
  }

  /**
   * Sends the ops together, in one frame; one result per op, in order. A failing op is a result
   * with its status, not an exception; only a failure of the whole request throws.
   */
  async batch(ops: readonly BatchOp[]): Promise<BatchResult[]> {
    checkBatchOps(ops);
    if (ops.length > opsPerRequestMax) {
      throw TesseraError.fromStatus(Status.TooManyOps, `batch: ${ops.length} ops, more than ${opsPerRequestMax} in one request`);
    }
    if (ops.length === 0) return [];
    const readOnly = ops.every((op) => op.op === 'get' || op.op === 'head' || op.op === 'scan');
    return (await this.#enqueue(ops, CallShape.Batch, readOnly, false)) as BatchResult[];
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
    if (typeof options !== 'object' || options === null) throw new TypeError(`subscribe: options must be an object, got ${describeValue(options)}`);
    checkOptions('subscribe', options, { ns: 'string', key: 'key', prefix: 'key', tag: 'string', fromLsn: 'number', values: 'boolean', queueMax: 'number' });
    checkNamespace('subscribe', options.ns);
    return this.#subscriptions.add(options);
  }

  /** Closes the connection and stops reconnecting; pending calls fail with ClientClosed. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'closed';
    this.#subscriptions.closeAll();
    this.#stopTimers();
    const closed = TesseraError.client('ClientClosed');
    this.#requests.rejectAll(closed);
    this.#queue.rejectAll(closed);
    const socket = this.#socket;
    this.#socket = null;
    if (wasOpen) this.#emitter.emit('disconnect', { code: 1000, reason: 'client closed' });
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

  /** One op as one call; resolves with what `shape` makes of its result. */
  #call(op: WireOp, shape: CallShape, readOnly: boolean): Promise<unknown> {
    return this.#enqueue([op], shape, readOnly, false);
  }

  /** Checks the ops' values, queues them as one call; resolves with what `shape` makes of its results. */
  #enqueue(ops: readonly WireOp[], shape: CallShape, readOnly: boolean, alone: boolean): Promise<unknown> {
    if (this.#state === 'closed') return Promise.reject(TesseraError.client('ClientClosed'));
    let bytes = 0;
    let heavyOps = 0;
    for (let index = 0; index < ops.length; index++) {
      const op = ops[index]!;
      const status = validateOpArguments(op);
      if (status !== Status.Ok) {
        const where = ops.length === 1 ? '' : `op ${index}, `;
        return Promise.reject(TesseraError.fromStatus(status, `${where}${opFailureMessage(op, status, explainRefusal(op, status))}`));
      }
      bytes += opBytes(op);
      if (op.op === 'get' || op.op === 'scan') heavyOps += 1;
    }
    const timeoutMs = this.#options.requestTimeoutMs;
    const deadlineMs = timeoutMs > 0 ? performance.now() + timeoutMs : Number.POSITIVE_INFINITY;
    const call = new ClientCall(this.#nextSeq++, ops, shape, readOnly, alone, bytes, heavyOps, deadlineMs);
    // Without auto-pipelining, a call with nothing queued before it and room in the window leaves
    // at once, in a frame of its own: the queue would hand back just this call (takeFrame).
    if (!this.#options.autoPipelining && this.#queue.size === 0) {
      const socket = this.#sendableSocket();
      if (socket !== null) {
        this.#sendFrame(socket, [call]);
        return call.promise;
      }
    }
    if (!this.#queue.push(call)) {
      const message = `${opLabel(ops[0]!)}: QueueFull: ${this.#queue.bytes} bytes (${this.#queue.size} calls) are waiting to be sent, and queueBytesMax is ${this.#options.queueBytesMax}: wait for earlier calls to finish, or raise queueBytesMax`;
      call.reject(TesseraError.client('QueueFull', message));
      return call.promise;
    }
    // Without auto-pipelining the call leaves now, in a frame of its own (as ioredis writes each
    // command when it is made); with it, at the end of the turn with the turn's other calls.
    if (this.#options.autoPipelining) this.#scheduleFlush();
    else this.#flush();
    return call.promise;
  }

  /** One flush per turn: every call made before it runs leaves in the same frames. */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(this.#flushTask);
  }

  /** The microtask of #scheduleFlush, made once (not a closure per turn). */
  readonly #flushTask = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  /** While the window has room, sends the oldest queued calls, as many per frame as fit. */
  #flush(): void {
    const socket = this.#sendableSocket();
    if (socket === null) return;
    while (this.#requests.size < this.#window && this.#queue.size > 0) {
      this.#sendFrame(socket, this.#queue.takeFrame(this.#options.autoPipelining ? frameBounds : singleCallBounds));
    }
  }

  /** The socket when frames may be sent now (open, not waiting out a Busy, room in the window), else null. */
  #sendableSocket(): SocketLike | null {
    const socket = this.#socket;
    if (this.#state !== 'open' || socket === null || socket.readyState !== socketOpen || this.#busyTimer !== null) return null;
    return this.#requests.size < this.#window ? socket : null;
  }

  /** Sends the calls' ops as one Request frame, in flight until its response. */
  #sendFrame(socket: SocketLike, calls: PendingCall[]): void {
    const ops: WireOp[] = calls.length === 1 ? (calls[0]!.ops as WireOp[]) : calls.flatMap((call) => call.ops);
    const id = this.#nextId;
    this.#nextId = id >= Number.MAX_SAFE_INTEGER ? 1 : id + 1;
    let frame: Uint8Array;
    try {
      // The Node transport copies a frame as it sends it: it gets a view of the reused encoder, and
      // no ArrayBuffer is made per request. Other WebSockets get a copy of their own.
      frame = this.#isNodeSocket ? encodeRequestView(id, ops) : encodeRequest(id, ops);
    } catch (error: unknown) {
      // validateOpArguments passed, so this is a value the checks do not know: fail those calls alone.
      for (const call of calls) call.reject(TesseraError.fromStatus(Status.InvalidArgument, `${opLabel(call.ops[0]!)}: ${String(error)}`));
      return;
    }
    let deadlineMs = Number.POSITIVE_INFINITY;
    let writes = false;
    for (const call of calls) {
      deadlineMs = Math.min(deadlineMs, call.deadlineMs);
      writes ||= !call.readOnly;
    }
    const sentIndex = this.#framesSent++;
    if (writes) this.#lastWriteFrameIndex = sentIndex;
    this.#requests.add({ id, sentIndex, calls, deadlineMs });
    socket.send(frame);
    releaseLargeBuilder();
  }

  #openSocket(): void {
    let socket: SocketLike;
    try {
      socket = openSocket(this.#Socket, this.#isNodeSocket, this.#url, this.#credentials);
    } catch (error) {
      // A malformed URL throws at once; there is nothing to retry.
      this.#connectionFailed(`cannot open ${this.#url}: ${String(error)}`);
      return;
    }
    // Under Node a message is a view of the transport's read buffer, decoded there with no copy of the
    // message; the values handed to callers are copied out of it (decodeServerFrame's `borrowed`),
    // so a small value kept by a caller does not keep a whole read chunk alive. Elsewhere an
    // ArrayBuffer per message, which the values are views of.
    socket.binaryType = this.#isNodeSocket ? 'nodebuffer' : 'arraybuffer';
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
    listenForMessages(socket, this.#isNodeSocket, (data) => {
      if (socket === this.#socket) this.#received(socket, data);
    });
    socket.onclose = (event) => {
      if (socket !== this.#socket) return;
      this.#clearConnectTimer();
      this.#closed(event);
    };
    // Errors are not ours to report here: a close event always follows them.
    socket.onerror = () => undefined;
  }

  #opened(): void {
    this.#state = 'open';
    this.#reconnectAttempt = 0;
    this.#window = this.#options.requestsInFlightMax;
    if (this.#firstOpen !== null) {
      this.#startTimeoutSweep();
      this.#firstOpen.resolve();
      this.#firstOpen = null;
    }
    this.#emitter.emit('connect', { url: this.#url });
    if (this.#state !== 'open') return; // a listener closed the client
    this.#flush();
    this.#subscriptions.connectionOpened();
  }

  #received(socket: SocketLike, data: unknown): void {
    const frame = data instanceof ArrayBuffer ? decodeServerFrame(new Uint8Array(data)) : this.#isNodeSocket && data instanceof Uint8Array ? decodeServerFrame(data, true) : null;
    if (frame === null || frame.type === 'invalid') {
      // A server we cannot understand: drop the connection; reads are sent again after reconnecting.
      this.#emitter.emit('error', TesseraError.client('ProtocolError', `the server at ${this.#url} sent a frame the client cannot read: reconnecting`));
      socket.close(closeCodeInvalidFrame, 'invalid frame from server');
      return;
    }
    if (frame.type === 'event' || frame.type === 'events') {
      this.#subscriptions.routeFrame(frame);
      return;
    }
    // A refusal without an id answers a request whose id the server could not read: no request
    // can be matched, and its calls fail by their timeout.
    if (frame.id === null) return;
    const request = this.#requests.take(frame.id);
    if (request === undefined) return; // answered after its timeout
    if (frame.status === Status.Busy) this.#refusedBusy(request, frame.message);
    else if (frame.status !== Status.Ok) failCalls(request.calls, frame);
    else settleCalls(request.calls, frame);
    // After a Busy shrank it, the window grows back one frame per answer (additive increase), so a
    // passing spell of server backpressure does not slow the connection for good.
    if (frame.status !== Status.Busy && this.#window < this.#options.requestsInFlightMax) this.#window += 1;
    // Calls waiting for room in the window go now; a call made later sends or schedules itself.
    if (this.#queue.size > 0) this.#scheduleFlush();
  }

  /**
   * The server ran none of the frame (Busy is answered before anything runs), so its calls are
   * safe to send again: back into the queue in call order, and the window shrinks to what the
   * server did take, so the client stops outrunning a server configured tighter than it.
   * A write goes back only when no later frame carried a write: a later write the server took
   * would otherwise be applied before this one, reordering writes to a key. Such writes fail with
   * Busy, saying why. With requestsInFlightMax at or below the server's
   * requestsInFlightPerConnectionMax (the defaults are), only a server short of output buffer
   * answers Busy.
   */
  #refusedBusy(request: PendingRequest, message: string | null): void {
    const laterWriteSent = this.#lastWriteFrameIndex > request.sentIndex;
    const again: PendingCall[] = [];
    for (const call of request.calls) {
      if (call.readOnly || !laterWriteSent) {
        again.push(call);
        continue;
      }
      const detail = `${message ?? 'the server is busy'} (not retried: a later write was already sent, and retrying would reorder writes; keep requestsInFlightMax at or below the server's requestsInFlightPerConnectionMax)`;
      call.reject(TesseraError.fromStatus(Status.Busy, opFailureMessage(call.ops[0]!, Status.Busy, detail)));
    }
    this.#queue.putBack(again);
    this.#window = Math.max(1, this.#requests.size);
    if (this.#requests.size === 0 && this.#busyTimer === null) {
      this.#busyTimer = setTimeout(() => {
        this.#busyTimer = null;
        this.#flush();
      }, busyRetryMs);
    }
  }

  #closed(event: SocketCloseEvent): void {
    this.#socket = null;
    if (this.#state === 'connecting') {
      this.#connectionFailed(`cannot connect to ${this.#url} (close code ${event.code}${event.reason === '' ? '' : `: ${event.reason}`})`);
      return;
    }
    if (this.#state === 'closed') return;
    if (this.#state === 'open') this.#emitter.emit('disconnect', { code: event.code, reason: event.reason });
    if (this.#busyTimer !== null) clearTimeout(this.#busyTimer);
    this.#busyTimer = null;
    this.#subscriptions.connectionLost();
    this.#queue.putBack(this.#requests.connectionLost());
    if (!this.#options.reconnect) {
      this.#state = 'closed';
      this.#stopTimers();
      this.#queue.rejectAll(TesseraError.client('ConnectionLost', 'the connection dropped and reconnect is off'));
      this.#subscriptions.failAll(TesseraError.client('ConnectionLost', 'the connection dropped and reconnect is off'));
      return;
    }
    if (this.#state === 'reconnecting') {
      this.#emitter.emit('error', TesseraError.client('ConnectionFailed', `reconnect to ${this.#url} failed (close code ${event.code})`));
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
    if (this.#state === 'reconnecting') {
      this.#emitter.emit('error', TesseraError.client('ConnectionFailed', message));
      this.#scheduleReconnect();
    }
  }

  #scheduleReconnect(): void {
    if (this.#state !== 'reconnecting') return; // an error listener closed the client
    const delayMs = reconnectDelayMs(this.#reconnectAttempt, this.#options.reconnectDelayMsMin, this.#options.reconnectDelayMsMax);
    this.#reconnectAttempt += 1;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      if (this.#state === 'reconnecting') this.#openSocket();
    }, delayMs);
    this.#emitter.emit('reconnecting', { attempt: this.#reconnectAttempt, delayMs });
  }

  #startTimeoutSweep(): void {
    const timeoutMs = this.#options.requestTimeoutMs;
    if (timeoutMs === 0) return;
    this.#sweepTimer = setInterval(() => {
      const nowMs = performance.now();
      this.#requests.expire(nowMs);
      this.#queue.expire(nowMs);
      this.#scheduleFlush();
    }, Math.min(timeoutMs, timeoutSweepMsMax));
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
    if (this.#busyTimer !== null) clearTimeout(this.#busyTimer);
    this.#reconnectTimer = null;
    this.#sweepTimer = null;
    this.#busyTimer = null;
  }
}

function checkConnectOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`connect: options must be an object, got ${describeValue(options)}`);
  for (const [name, value] of Object.entries(options)) {
    const type = (optionTypes as Record<string, string>)[name];
    if (type === undefined) throw new TypeError(`connect: unknown option '${name}' (known: ${Object.keys(optionTypes).join(', ')})`);
    if (value === undefined) continue;
    const fits = type === 'string or Uint8Array' ? typeof value === 'string' || value instanceof Uint8Array : typeof value === type;
    if (!fits) throw new TypeError(`connect: options.${name} must be a ${type}, got ${describeValue(value)}`);
  }
}

/** The estimated encoded size of an op: its strings plus a fixed overhead. */
function opBytes(op: WireOp): number {
  switch (op.op) {
    case 'put':
      return opBytesOverhead + op.ns.length + length(op.key) + length(op.value) + length(op.contentType);
    case 'scan':
      return opBytesOverhead + op.ns.length + length(op.prefix) + length(op.cursor);
    case 'subscribe':
      return opBytesOverhead + op.ns.length + length(op.key) + length(op.prefix);
    case 'unsubscribe':
      return opBytesOverhead;
    case 'purge':
      return opBytesOverhead + op.ns.length + length(op.prefix) + (op.tags?.join(' ').length ?? 0);
    default:
      return opBytesOverhead + op.ns.length + length(op.key);
  }
}

/** A string's UTF-8 bytes, or the bytes' length; 0 when absent. */
function length(bytes: string | Uint8Array | undefined): number {
  return bytes === undefined ? 0 : typeof bytes === 'string' ? utf8ByteLength(bytes) : bytes.byteLength;
}

/** Hands each call its results: the frame's, from where the call's ops start. */
function settleCalls(calls: readonly PendingCall[], frame: ResponseFrame): void {
  let ops = 0;
  for (const call of calls) ops += call.ops.length;
  if (frame.results.length !== ops) {
    const error = TesseraError.client('ProtocolError', `${ops} ops sent, ${frame.results.length} results answered`);
    for (const call of calls) call.reject(error);
    return;
  }
  let offset = 0;
  for (const call of calls) {
    call.resolve(frame.results, offset);
    offset += call.ops.length;
  }
}

/** The server refused the whole frame (ShuttingDown, MalformedRequest...): each call fails with its own label. */
function failCalls(calls: readonly PendingCall[], frame: ResponseFrame): void {
  for (const call of calls) call.reject(TesseraError.fromStatus(frame.status, opFailureMessage(call.ops[0]!, frame.status, frame.message)));
}



