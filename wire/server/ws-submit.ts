// The WebSocket fast path: a request of key ops (get, head, put, delete, touch), every one valid and
// allowed, goes from the decoded frame straight to engine.submit(), the engine's one way in, with
// no Promise, no closure and no object per op:
//
//   decoded ops ──► check each once (namespace resolved once, validateOp, the token's role)
//        │ any op not a key op, not valid or not allowed: not taken (ws-request.ts runs it)
//        ▼
//   OpBatcher.submitValid(op, namespaceId, pending, index)   keys and values copied into the
//        │                                                   shard's batch before it returns,
//        ▼                                                   so the frame needs no copy
//   pending.onResult(index, view) ──► one op: the Response encoded straight from the view
//                                     several: copied into a pooled ResultStore (result-store.ts),
//                                     encoded from it when the last arrives
//        ▼
//   deliver(connection, frame view, startedMs)   the endpoint copies the frame into its outbox
//
// PendingRequest objects are pooled: a request takes one and gives it back when answered. The
// pool is bounded by the requests in flight (requestsInFlightPerConnectionMax × connections).
// Results keep the statuses the Promise path gives: ShuttingDown for a closed engine (not taken
// here), ShardUnavailable for a shard that died, each op's own status otherwise.

import type { EngineApi } from '../../engine/front/engine-api';
import { OpBatcher, type OpSubmitter } from '../../engine/front/op-batcher';
import type { ResultSink, ResultView } from '../../engine/front/result-sink';
import { assert } from '../../engine/layout/assert';
import { Status } from '../../engine/layout/status';
import type { Op } from '../../engine/layout/types';
import { validateOp } from '../../engine/layout/validate-op';
import type { WireOp } from '../codec';
import { encodeResultViewsView, encodeSingleResultView } from '../codec/encode-response';
import { releaseLargeResponseBuffer } from '../codec/response-writer';
import type { Principal } from './access-control';
import { opKindIndex, transportIndex, type ServerMetrics } from './metrics';
import { ResultStore } from './result-store';

const wsTransport = transportIndex.ws;
type FastOp = Extract<WireOp, { op: 'get' | 'head' | 'put' | 'delete' | 'touch' }>;
/** The key ops this path runs; every other op kind goes through ws-request.ts. */
const fastOpKinds: ReadonlySet<string> = new Set<FastOp['op']>(['get', 'head', 'put', 'delete', 'touch']);
const isFastOp = (op: WireOp): op is FastOp => fastOpKinds.has(op.op);
/** Free PendingRequests kept for reuse; past it a finished one is left to the GC. */
const pooledRequestsMax = 4096;
/** Free ResultStores kept for reuse (each retains at most valueBytesRetainedMax of value bytes). */
const resultStoresPooledMax = 64;

/** The engine's submit() entry, when the engine has one (a wrapped test engine has only batch()). */
export function opSubmitterOf(engine: EngineApi): OpSubmitter | null {
  const candidate = engine as Partial<OpSubmitter>;
  return typeof candidate.submit === 'function' && typeof candidate.namespaceId === 'function' ? (engine as unknown as OpSubmitter) : null;
}

/** Receives a finished request's Response: a view valid only during the call (copy it). */
export type DeliverResponse<C> = (connection: C, frame: Uint8Array, startedMs: number) => void;

/** One request in flight on the fast path; the sink of all its ops (the op index is the token). */
class PendingRequest<C> implements ResultSink {
  readonly #path: WsSubmitPath<C>;
  connection: C | null = null;
  id = 0;
  count = 0;
  pending = 0;
  startedMs = 0;
  /** Per op: its metrics kind index. Reused; only [0, count) is meaningful. */
  readonly kinds: number[] = [];
  /** Several ops only: their results, encoded when the last one arrives. */
  store: ResultStore | null = null;

  constructor(path: WsSubmitPath<C>) {
    this.#path = path;
  }

  onResult(token: number, result: ResultView | null): void {
    assert(this.pending > 0 && token >= 0 && token < this.count, 'a result for an op still pending');
    this.#path.settle(this, token, result);
  }
}

export class WsSubmitPath<C> {
  readonly #submitter: OpSubmitter;
  readonly #batcher: OpBatcher;
  readonly #metrics: ServerMetrics;
  readonly #deliver: DeliverResponse<C>;
  readonly #free: PendingRequest<C>[] = [];
  readonly #freeStores: ResultStore[] = [];
  /** Per op of the request being taken: its namespace id (reused scratch). */
  readonly #namespaceIds: number[] = [];

  constructor(submitter: OpSubmitter, metrics: ServerMetrics, deliver: DeliverResponse<C>) {
    this.#submitter = submitter;
    this.#batcher = new OpBatcher(submitter);
    this.#metrics = metrics;
    this.#deliver = deliver;
  }

  /**
   * Takes the request if every op is a valid, allowed key op and the engine is open: submits them
   * all and returns true (deliver runs once, when the last result is in, maybe before this
   * returns). Otherwise submits nothing and returns false.
   */
  tryRun(connection: C, id: number, ops: readonly WireOp[], principal: Principal | null, startedMs: number): boolean {
    const submitter = this.#submitter;
    if (submitter.closed || ops.length === 0) return false;
    const namespaceIds = this.#namespaceIds;
    for (let index = 0; index < ops.length; index++) {
      const op = ops[index] as WireOp;
      // A whitelist, not a list of exceptions: an op kind added later (purge came after this path)
      // takes the Promise path until this one is taught it.
      if (!isFastOp(op)) return false;
      if (principal !== null && !principal.allows(op)) return false;
      const namespaceId = submitter.namespaceId(op.ns);
      if (namespaceId === undefined) return false;
      if (validateOp(op, submitter.namespaces[namespaceId]) !== Status.Ok) return false;
      namespaceIds[index] = namespaceId;
    }
    const request = this.#free.pop() ?? new PendingRequest<C>(this);
    request.connection = connection;
    request.id = id;
    request.count = ops.length;
    request.pending = ops.length;
    request.startedMs = startedMs;
    if (ops.length > 1) {
      const store = this.#freeStores.pop() ?? new ResultStore();
      store.reset(ops.length);
      request.store = store;
    }
    const kinds = request.kinds;
    for (let index = 0; index < ops.length; index++) kinds[index] = opKindIndex[(ops[index] as Op).op];
    // The last op's result may arrive inside its submit (a direct read) and release the request:
    // nothing of `request` is read after the loop.
    for (let index = 0; index < ops.length; index++) {
      this.#batcher.submitValid(ops[index] as Op, namespaceIds[index] as number, request, index);
    }
    return true;
  }

  /** One op's result (PendingRequest.onResult); the last one answers the request. */
  settle(request: PendingRequest<C>, token: number, result: ResultView | null): void {
    const metrics = this.#metrics;
    const status = result === null ? Status.ShardUnavailable : result.status;
    metrics.countOpKind(wsTransport, request.kinds[token] as number, status);
    const connection = request.connection as C;
    let frame: Uint8Array;
    if (request.count === 1) {
      request.pending = 0;
      frame = encodeSingleResultView(request.id, result);
    } else {
      const store = request.store as ResultStore;
      store.store(token, result);
      if (--request.pending !== 0) return;
      frame = encodeResultViewsView(request.id, store);
    }
    const startedMs = request.startedMs;
    this.#release(request);
    this.#deliver(connection, frame, startedMs);
    releaseLargeResponseBuffer();
  }

  #release(request: PendingRequest<C>): void {
    request.connection = null;
    const store = request.store;
    if (store !== null) {
      request.store = null;
      if (this.#freeStores.length < resultStoresPooledMax) this.#freeStores.push(store);
    }
    if (this.#free.length < pooledRequestsMax) this.#free.push(request);
  }
}
