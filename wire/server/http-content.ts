// The HTTP content API: GET / HEAD / PUT / DELETE on /v1/{ns}/{key}.
//
//   GET, HEAD  200 value + ETag, Content-Type, Last-Modified, Cache-Control (records with a TTL);
//              304 when If-None-Match names the generation (or If-Modified-Since is not older);
//              404 when missing.
//   PUT        201 created / 200 replaced, ETag; ?ttl=SECONDS; If-Match: "<generation>" and
//              If-None-Match: * (create-only) → 412 when they do not hold; 413 value too large.
//   DELETE     204; 404 when missing; If-Match → 412 when it does not hold.
//
// Preconditions follow RFC 9110 §13: If-Match fails (412) when there is no record at all, and
// If-Match is a strong comparison. Every op is checked by validateOp before it reaches the engine,
// exactly as the WebSocket endpoint does, so both transports answer bad input the same way.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { EngineApi } from '../../engine/front/engine-api';
import { Status, statusMessage } from '../../engine/layout/status';
import type { NamespaceConfig, Op, OpResult, PutMode } from '../../engine/layout/types';
import { validateKey, validateOp } from '../../engine/layout/validate-op';
import { cacheControlBytesMax, isCacheControlValue } from '../../engine/layout/stored-content-type';
import { keyBytesMaxHard, ttlSecMax } from '../../engine/layout/limits';
import { parseSurrogateKeyHeader } from '../../engine/layout/surrogate-keys';
import type { AccessControl } from './access-control';
import { admitHttp, methodRole } from './http-access';
import { requestBodyFraming } from './body-framing';
import { parseContentPath } from './content-path';
import type { CompressedCopies } from './compressed-copies';
import { ConditionOutcome, evaluateConditions, needsCurrentVersion, readConditions, type RequestConditions } from './conditional-request';
import { emptyReadRequest, endEmpty, readRequestOf } from './content-read';
import { corsAllowHeaders, corsAllowMethods, corsMaxAgeSec } from './cors';
import { formatEntityTag } from './entity-tags';
import { formatHttpDateMs } from './http-date';
import { HttpExchange, type ExchangeContext } from './http-exchange';
import { HttpReadPath } from './http-read-path';
import { statusLine } from './http-status';
import { transportIndex } from './metrics';
import { failureOf } from './engine-failure';
import { routeNamespaceRequest } from './http-namespace-routes';
import type { OriginPolicy } from './request-origin';

export interface ContentContext extends ExchangeContext {
  engine: EngineApi;
  namespaces: ReadonlyMap<string, NamespaceConfig>;
  access: AccessControl;
  /** allowedOrigins: CORS (cors.ts). */
  origins: OriginPolicy;
  compressed: CompressedCopies;
}

const httpTransport = transportIndex.http;
const allowedMethods = 'GET, HEAD, PUT, DELETE, OPTIONS';
/** The size admitBody is asked about before a GET's value is known: any size. */
const unknownBodyBytes = Number.MAX_SAFE_INTEGER;
/**
 * Longer request targets are answered 414: the longest key (keyBytesMaxHard) percent-encoded
 * whole, plus the namespace and query, fits well within it. (A key within this but over the
 * namespace's limit is a bad key, 400, like any other.)
 */
const requestTargetBytesMax = 3 * keyBytesMaxHard + 1024;

/** Per content context (one per server): its read path (http-read-path.ts). */
const readPaths = new WeakMap<ContentContext, HttpReadPath>();
/** The headers of the GET being handled: answered within the handler (most), or copied. */
const readRequestScratch = emptyReadRequest();

export function handleContent(context: ContentContext, res: HttpResponse, req: HttpRequest): void {
  const method = req.getMethod();
  // A GET's onAborted is attached below only if the exchange outlives this handler (most do not).
  // Not for other methods: uWS counts a response ended by endWithoutBody(length), as a HEAD is,
  // as still open (it waits for that many body bytes), and terminates the process when a handler
  // returns from it without onAborted.
  const exchange = new HttpExchange(res, context, method === 'head', method !== 'get');
  routeContent(context, exchange, res, req, method);
  if (exchange.live) exchange.holdOpen();
}

function routeContent(context: ContentContext, exchange: HttpExchange, res: HttpResponse, req: HttpRequest, method: string): void {
  if (!context.lifecycle.accepting) {
    exchange.refuse(Status.ShuttingDown, undefined, { closeConnection: true });
    return;
  }
  const corsEnabled = context.origins.corsEnabled;
  const origin = corsEnabled || method === 'options' ? req.getHeader('origin') : '';
  if (corsEnabled) exchange.setCors(context.origins.corsAllowed(origin) ? origin : '', true);
  if (method === 'options') {
    handleOptions(context, exchange, req, origin);
    return;
  }
  const url = req.getUrl();
  if (url.length > requestTargetBytesMax) {
    exchange.refuse(Status.InvalidArgument, `the request target is longer than ${requestTargetBytesMax} bytes`, { httpCode: 414, closeConnection: true });
    return;
  }
  if (routeNamespaceRequest(context, exchange, req, method, url)) return;
  const path = parseContentPath(url);
  if (!path.ok) {
    exchange.refuse(path.status, path.message);
    return;
  }
  // Before the namespace lookup, so that a client without a token learns nothing of which exist.
  if (context.access.enabled) {
    const role = methodRole(method);
    if (!admitHttp(context.access, req, exchange, (principal) => principal.roleFor(path.ns) >= role)) return;
  }
  const namespace = context.namespaces.get(path.ns);
  if (namespace === undefined) {
    exchange.refuse(Status.UnknownNamespace, `no namespace ${JSON.stringify(path.ns)}`);
    return;
  }
  switch (method) {
    case 'get':
    case 'head':
      handleRead(context, exchange, req, namespace, path.key, method === 'head');
      return;
    case 'put':
      handlePut(context, exchange, req, namespace, path.key);
      return;
    case 'delete':
      handleDelete(context, exchange, req, namespace, path.key);
      return;
    default:
      exchange.refuse(Status.InvalidArgument, `method ${req.getCaseSensitiveMethod()} is not allowed here`, {
        httpCode: 405,
        headers: [['Allow', allowedMethods]],
      });
  }
}

/** Runs one op, counts it, and hands its result to answer (a rejected engine call is answered here). */
function run(context: ContentContext, exchange: HttpExchange, op: Op, namespace: NamespaceConfig, answer: (result: OpResult) => void): void {
  const status = validateOp(op, namespace);
  if (status !== Status.Ok) {
    context.metrics.countOp(httpTransport, op.op, status);
    exchange.sendError(status);
    return;
  }
  if (op.op === 'get' || op.op === 'head') execute(context, exchange, op, answer);
  // A write waits one event-loop turn before it reaches the engine. uWS refuses asynchronous HTTP
  // pipelining by design: when the next request of the same TCP read is parsed while this one is
  // unanswered, it closes the connection (HttpContext.h: "Important for denying async pipelining").
  // It parses the rest of that read before this turn ends, so by the next turn a pipelined write's
  // exchange is aborted and the write is dropped unapplied: the client sees a clean close and no
  // record changed, instead of a write applied whose answer never came. See http-pipelining.test.ts.
  else exchange.deferWhileLive(() => execute(context, exchange, op, answer));
}

function execute(context: ContentContext, exchange: HttpExchange, op: Op, answer: (result: OpResult) => void): void {
  context.engine.execute(op).then(
    (result) => {
      context.metrics.countOp(httpTransport, op.op, result.status);
      answer(result);
    },
    (error: unknown) => {
      const failure = failureOf(error);
      context.metrics.countOp(httpTransport, op.op, failure.status);
      exchange.sendError(failure.status, failure.message);
    },
  );
}

function handleRead(context: ContentContext, exchange: HttpExchange, req: HttpRequest, namespace: NamespaceConfig, key: Uint8Array, isHead: boolean): void {
  // HttpRequest is only valid until the handler returns: read every header now (into scratch:
  // the read path copies it when the answer comes later).
  const request = readRequestOf(req, isHead, readRequestScratch);
  // While the output budget is spent, a GET is refused before the engine copies its value (as a
  // WebSocket request is answered Busy then): the copy of a value that is refused is garbage that
  // the refused client would otherwise still cost the process until the next GC.
  if (!isHead && !exchange.admitBody(unknownBodyBytes)) {
    context.metrics.countRequestFailure(httpTransport, Status.Busy);
    return;
  }
  // HEAD runs a get, not a head op: its Content-Length must be the value's, and only get knows it.
  let reads = readPaths.get(context);
  if (reads === undefined) {
    reads = new HttpReadPath(context);
    readPaths.set(context, reads);
  }
  reads.read(exchange, namespace, key, request);
  // The HttpRequest is invalid once the handler returns: the scratch must not keep it.
  request.req = null;
}

/**
 * A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered for an allowed
 * origin and refused (403) for any other; a plain OPTIONS gets the methods (cors.ts). Answered
 * before access control: browsers send a preflight without credentials.
 */
function handleOptions(context: ContentContext, exchange: HttpExchange, req: HttpRequest, origin: string): void {
  const preflight = origin !== '' && req.getHeader('access-control-request-method') !== '';
  if (preflight && !context.origins.corsAllowed(origin)) {
    exchange.refuse(Status.Forbidden, 'pages from this Origin may not use this API (allowedOrigins)');
    return;
  }
  exchange.respond((res, closeConnection) => {
    exchange.writeStatus(res, '204 No Content', false);
    if (preflight) {
      res.writeHeader('Access-Control-Allow-Methods', corsAllowMethods);
      res.writeHeader('Access-Control-Allow-Headers', corsAllowHeaders);
      res.writeHeader('Access-Control-Max-Age', corsMaxAgeSecText);
    } else {
      res.writeHeader('Allow', allowedMethods);
    }
    endEmpty(res, closeConnection);
  });
}

const corsMaxAgeSecText = String(corsMaxAgeSec);

/**
 * Write preconditions. `If-None-Match: *` (create-only) and `If-Match: *` (update-only) are checked
 * by the engine as the write runs. Entity tags and If-Unmodified-Since need the current version:
 * it is read first (a head op), the conditions are evaluated against it (conditional-request.ts),
 * and the write then carries that version's generation (or is create-only when there was none),
 * so a version that changed in between fails the engine's own check with 412 rather than being
 * overwritten. (A delete and recreation back to the very same generation between the read and
 * the write, one event-loop turn, would not be seen: the engine compares generations only.)
 */
function writeWithConditions(context: ContentContext, exchange: HttpExchange, namespace: NamespaceConfig, conditions: RequestConditions, write: WriteOp, okCode: 201 | 200 | 204): void {
  const preconditioned = conditions.ifMatch.kind !== 'absent';
  if (!needsCurrentVersion(conditions)) {
    run(context, exchange, write, namespace, (result) => answerWrite(exchange, namespace, result, preconditioned, okCode));
    return;
  }
  run(context, exchange, { op: 'head', ns: namespace.name, key: write.key }, namespace, (current) => {
    if (current.status !== Status.Ok && current.status !== Status.NotFound) {
      exchange.sendError(current.status);
      return;
    }
    const exists = current.status === Status.Ok;
    const entityTag = exists ? formatEntityTag(current.lastModified, current.generation) : null;
    if (evaluateConditions(conditions, entityTag, current.lastModified, false) !== ConditionOutcome.Proceed) {
      exchange.sendError(Status.GenerationMismatch, 'a precondition (If-Match, If-None-Match, If-Unmodified-Since) does not hold for the current version', { httpCode: 412 });
      return;
    }
    if (exists) write.ifGeneration = current.generation;
    else if (write.op === 'put') write.mode = 'create';
    run(context, exchange, write, namespace, (result) => answerWrite(exchange, namespace, result, preconditioned || exists, okCode));
  });
}

type WriteOp = Extract<Op, { op: 'put' }> | Extract<Op, { op: 'delete' }>;

function parseTtl(query: string | undefined): number | undefined | null {
  if (query === undefined || query === '') return undefined;
  if (!/^\d{1,10}$/.test(query)) return null;
  const ttl = Number(query);
  return ttl <= ttlSecMax ? ttl : null;
}

function handlePut(context: ContentContext, exchange: HttpExchange, req: HttpRequest, namespace: NamespaceConfig, key: Uint8Array): void {
  const keyStatus = validateKey(key, namespace);
  if (keyStatus !== Status.Ok) {
    exchange.refuse(keyStatus);
    return;
  }
  const ttl = parseTtl(ttlQuery(req));
  if (ttl === null) {
    exchange.refuse(Status.InvalidArgument, `ttl must be whole seconds in 0..${ttlSecMax}`);
    return;
  }
  const conditions = readConditions(req);
  if (conditions.ifMatch.kind !== 'absent' && conditions.ifNoneMatch.kind === 'any') {
    exchange.refuse(Status.GenerationMismatch, 'If-Match and If-None-Match: * can never both hold', { httpCode: 412 });
    return;
  }
  const mode: PutMode = conditions.ifNoneMatch.kind === 'any' ? 'create' : conditions.ifMatch.kind === 'any' ? 'update' : 'upsert';
  const contentType = req.getHeader('content-type');
  const surrogateKeys = parseSurrogateKeyHeader(req.getHeader('surrogate-key'));
  if ('message' in surrogateKeys) {
    exchange.refuse(Status.InvalidArgument, surrogateKeys.message);
    return;
  }
  const cacheControl = req.getHeader('cache-control');
  if (cacheControl !== '' && !isCacheControlValue(cacheControl)) {
    exchange.refuse(Status.InvalidArgument, `Cache-Control to store must be 1..${cacheControlBytesMax} visible ASCII characters (spaces between)`);
    return;
  }
  const framing = requestBodyFraming(req);
  if (framing.kind === 'invalid' || framing.kind === 'none') {
    // The connection is closed after an invalid length: where its body ends is unknowable. (For
    // a length that is not digits at all, uWS closes the connection itself right after this
    // handler, before the 400 can leave: the client sees a clean close, and nothing is written.)
    const message = framing.kind === 'none' ? 'PUT needs a body: send Content-Length (0 for an empty value) or chunked' : framing.message;
    exchange.refuse(Status.InvalidArgument, message, { closeConnection: framing.kind === 'invalid' });
    return;
  }
  const declaredBytes = framing.kind === 'length' ? framing.bytes : null;
  exchange.readBody(declaredBytes, namespace.maxValueBytes, (value) => {
    const op: WriteOp = { op: 'put', ns: namespace.name, key, value, mode };
    if (ttl !== undefined) op.ttl = ttl;
    if (contentType !== '') op.contentType = contentType;
    if (surrogateKeys.tags.length > 0) op.tags = surrogateKeys.tags;
    if (cacheControl !== '') op.cacheControl = cacheControl;
    writeWithConditions(context, exchange, namespace, conditions, op, 201);
  });
}

function handleDelete(context: ContentContext, exchange: HttpExchange, req: HttpRequest, namespace: NamespaceConfig, key: Uint8Array): void {
  const conditions = readConditions(req);
  // If-Match: * asks only that the record exist: the delete itself answers 412 when it does not.
  writeWithConditions(context, exchange, namespace, conditions, { op: 'delete', ns: namespace.name, key }, 204);
}

/** A put or delete result: okCode with the new ETag, or the status as an error (412 for failed preconditions). */
function answerWrite(exchange: HttpExchange, namespace: NamespaceConfig, result: OpResult, preconditioned: boolean, okCode: 201 | 200 | 204): void {
  if (result.status === Status.Ok) {
    exchange.respond((res, closeConnection) => {
      exchange.writeStatus(res, statusLine(okCode === 201 && !result.created ? 200 : okCode), false);
      if (okCode === 204) {
        endEmpty(res, closeConnection);
        return;
      }
      res.writeHeader('ETag', formatEntityTag(result.lastModified, result.generation));
      res.writeHeader('Tessera-Generation', String(result.generation));
      res.writeHeader('Last-Modified', formatHttpDateMs(result.lastModified));
      res.end(undefined, closeConnection);
    });
    return;
  }
  // A precondition on a missing record is a failed precondition, not a plain 404 (RFC 9110 §13.1.1).
  if (result.status === Status.NotFound && preconditioned) {
    exchange.sendError(Status.NotFound, `If-Match: ${statusMessage(Status.NotFound)}`, { httpCode: 412 });
    return;
  }
  exchange.sendError(result.status);
}

function ttlQuery(req: HttpRequest): string | undefined {
  // uWS answers getQuery(key) with undefined when the key is absent (the typings say string).
  const value: string | undefined = req.getQuery('ttl') as string | undefined;
  return value;
}
