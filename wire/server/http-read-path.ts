// GET and HEAD of a record over HTTP through engine.submit(), the engine's one way in (issue 10),
// with no Promise, no OpResult and no copy of the value:
//
//   handleRead ──► HttpReadPath.read(exchange, namespace, key, request)
//        │ validateOp, namespace id; the op and the engine's OpRequest are reused scratch
//        ▼
//   OpBatcher.submitValid(op, id, this, token)
//        │ a direct read (a hit or a miss) calls onResult before submit returns: answered there,
//        │ inside the uWS handler, the value sent from the direct read's view (uWS copies what it
//        │ takes; http-output.ts copies only what it must hold)
//        ▼ otherwise (the shard answers later): the request is kept by its token until onResult
//   answerRead(…) in content-read.ts
//
// One token per read: the sync read's token is remembered while submit runs, a later one is found
// in #waiting (bounded by the reads in flight, each holding a live HTTP request). An engine
// without submit() (a wrapped test engine) or a closed one takes the Promise path as before.

import type { EngineApi } from '../../engine/front/engine-api';
import { OpBatcher, type OpSubmitter } from '../../engine/front/op-batcher';
import type { ResultSink, ResultView } from '../../engine/front/result-sink';
import { assert } from '../../engine/layout/assert';
import { Status } from '../../engine/layout/status';
import type { NamespaceConfig, Op, OpResult } from '../../engine/layout/types';
import { validateOp } from '../../engine/layout/validate-op';
import { joinStoredContentType } from '../../engine/layout/stored-content-type';
import type { CompressedCopies } from './compressed-copies';
import { answerRead, copyReadRequest, type ReadContext, type ReadRecord, type ReadRequest } from './content-read';
import { failureOf } from './engine-failure';
import type { HttpExchange } from './http-exchange';
import { transportIndex, type ServerMetrics } from './metrics';
import { RecordHeaderFormatter } from './record-headers';
import { opSubmitterOf } from './ws-submit';

const httpTransport = transportIndex.http;
const noValue = new Uint8Array(0);
/** Tokens wrap here (far above the reads that can be in flight at once). */
const tokenMax = 0x3fffffff;

type GetOp = Extract<Op, { op: 'get' }>;

/** A read answered after submit returned: what the answer needs, kept by its token. */
interface WaitingRead {
  exchange: HttpExchange;
  namespace: NamespaceConfig;
  key: Uint8Array;
  request: ReadRequest;
}

export interface ReadPathContext {
  engine: EngineApi;
  metrics: ServerMetrics;
  compressed: CompressedCopies;
}

export class HttpReadPath implements ResultSink {
  readonly #engine: EngineApi;
  readonly #submitter: OpSubmitter | null;
  readonly #batcher: OpBatcher | null;
  readonly #metrics: ServerMetrics;
  readonly #context: ReadContext;
  /** Reused: submitValid copies the key into the shard's batch (or reads it) before returning. */
  readonly #op: GetOp = { op: 'get', ns: '', key: noValue };
  /** Reused: filled from a result view for answerRead, cleared after. */
  readonly #record: ReadRecord = { generation: 0, lastModified: 0, expiry: 0, storedContentType: '', value: noValue, valueIsView: true };
  readonly #waiting = new Map<number, WaitingRead>();
  #nextToken = 1;
  /** The token of the read being submitted (0: none), and what it needs if answered at once. */
  #syncToken = 0;
  #syncExchange: HttpExchange | null = null;
  #syncNamespace: NamespaceConfig | null = null;
  #syncKey: Uint8Array = noValue;
  #syncRequest: ReadRequest | null = null;

  constructor(context: ReadPathContext) {
    this.#engine = context.engine;
    this.#submitter = opSubmitterOf(context.engine);
    this.#batcher = this.#submitter === null ? null : new OpBatcher(this.#submitter);
    this.#metrics = context.metrics;
    this.#context = { compressed: context.compressed, headers: new RecordHeaderFormatter() };
  }

  /** Reads in flight that the shard answers later. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Runs a GET (or HEAD: a get, for the value's length) of key; request may be reused scratch. */
  read(exchange: HttpExchange, namespace: NamespaceConfig, key: Uint8Array, request: ReadRequest): void {
    const op = this.#op;
    op.ns = namespace.name;
    op.key = key;
    const status = validateOp(op, namespace);
    if (status !== Status.Ok) {
      op.key = noValue;
      this.#metrics.countOp(httpTransport, 'get', status);
      exchange.sendError(status);
      return;
    }
    const submitter = this.#submitter;
    const namespaceId = submitter === null || submitter.closed ? undefined : submitter.namespaceId(namespace.name);
    if (namespaceId === undefined) {
      op.key = noValue;
      this.#readByPromise(exchange, namespace, key, copyReadRequest(request));
      return;
    }
    const token = this.#nextToken;
    this.#nextToken = token === tokenMax ? 1 : token + 1;
    this.#syncToken = token;
    this.#syncExchange = exchange;
    this.#syncNamespace = namespace;
    this.#syncKey = key;
    this.#syncRequest = request;
    this.#batcher!.submitValid(op, namespaceId, this, token);
    op.key = noValue;
    if (this.#syncToken === token) {
      // Not answered yet: the shard answers after this handler returns.
      assert(!this.#waiting.has(token), 'http read tokens are unique among reads in flight');
      this.#waiting.set(token, { exchange, namespace, key, request: copyReadRequest(request) });
    }
    this.#syncToken = 0;
    this.#syncExchange = null;
    this.#syncNamespace = null;
    this.#syncKey = noValue;
    this.#syncRequest = null;
  }

  onResult(token: number, result: ResultView | null): void {
    if (token === this.#syncToken) {
      this.#syncToken = 0;
      this.#answer(this.#syncExchange!, this.#syncNamespace!, this.#syncKey, this.#syncRequest!, result);
      return;
    }
    const waiting = this.#waiting.get(token);
    assert(waiting !== undefined, 'an http read result for a read in flight');
    this.#waiting.delete(token);
    this.#answer(waiting.exchange, waiting.namespace, waiting.key, waiting.request, result);
  }

  #answer(exchange: HttpExchange, namespace: NamespaceConfig, key: Uint8Array, request: ReadRequest, result: ResultView | null): void {
    // null: the shard died before answering (as readOpResult says for the Promise path).
    const status = result === null ? Status.ShardUnavailable : result.status;
    this.#metrics.countOp(httpTransport, 'get', status);
    // A missing record is a 404 whatever the preconditions say (RFC 9110 §13.2.1).
    if (result === null || status !== Status.Ok) {
      exchange.sendError(status);
      return;
    }
    const record = this.#record;
    record.generation = result.generation;
    record.lastModified = result.lastModified;
    record.expiry = result.expiry;
    record.storedContentType = result.contentType();
    record.value = result.hasValue ? result.valueView() : noValue;
    record.valueIsView = true;
    const answered = answerRead(exchange, namespace, key, this.#context, request, record);
    record.value = noValue;
    if (!answered) this.#metrics.countRequestFailure(httpTransport, Status.Busy);
  }

  /** The Promise API (an engine without submit(), or a closed one: it answers ShuttingDown). */
  #readByPromise(exchange: HttpExchange, namespace: NamespaceConfig, key: Uint8Array, request: ReadRequest): void {
    this.#engine.execute({ op: 'get', ns: namespace.name, key }).then(
      (result) => {
        this.#metrics.countOp(httpTransport, 'get', result.status);
        if (result.status !== Status.Ok) exchange.sendError(result.status);
        else if (!answerRead(exchange, namespace, key, this.#context, request, recordOf(result))) this.#metrics.countRequestFailure(httpTransport, Status.Busy);
      },
      (error: unknown) => {
        const failure = failureOf(error);
        this.#metrics.countOp(httpTransport, 'get', failure.status);
        exchange.sendError(failure.status, failure.message);
      },
    );
  }
}

function recordOf(result: OpResult): ReadRecord {
  return {
    generation: result.generation,
    lastModified: result.lastModified,
    expiry: result.expiry,
    storedContentType: joinStoredContentType(result.contentType, result.cacheControl ?? ''),
    value: result.value ?? noValue,
    valueIsView: false,
  };
}
