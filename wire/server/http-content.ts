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
import { keyBytesMaxHard, ttlSecMax } from '../../engine/layout/limits';
import { isMediaType } from '../../engine/layout/media-type';
import { parseSurrogateKeyHeader } from '../../engine/layout/surrogate-keys';
import type { AccessControl } from './access-control';
import { admitHttp, methodRole } from './http-access';
import { bodyFraming, contentLengthHeadersMax, type BodyFraming } from './body-framing';
import { parseContentPath } from './content-path';
import { formatEntityTag, matchesGeneration, parseEntityTags, type EntityTagCondition } from './entity-tags';
import { HttpExchange, type ExchangeContext } from './http-exchange';
import { statusLine } from './http-status';
import { transportIndex } from './metrics';
import { failureOf } from './engine-failure';
import { routeNamespaceRequest } from './http-namespace-routes';

export interface ContentContext extends ExchangeContext {
  engine: EngineApi;
  namespaces: ReadonlyMap<string, NamespaceConfig>;
  access: AccessControl;
}

const httpTransport = transportIndex.http;
const octetStream = 'application/octet-stream';
const allowedMethods = 'GET, HEAD, PUT, DELETE';
/** The size admitBody is asked about before a GET's value is known: any size. */
const unknownBodyBytes = Number.MAX_SAFE_INTEGER;
/**
 * Longer request targets are answered 414: the longest key (keyBytesMaxHard) percent-encoded
 * whole, plus the namespace and query, fits well within it. (A key within this but over the
 * namespace's limit is a bad key, 400, like any other.)
 */
const requestTargetBytesMax = 3 * keyBytesMaxHard + 1024;

export function handleContent(context: ContentContext, res: HttpResponse, req: HttpRequest): void {
  const method = req.getMethod();
  const exchange = new HttpExchange(res, context, method === 'head');
  if (!context.lifecycle.accepting) {
    exchange.refuse(Status.ShuttingDown, undefined, { closeConnection: true });
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
  // HttpRequest is only valid until the handler returns: read every header now.
  const ifNoneMatch = parseEntityTags(req.getHeader('if-none-match'), true);
  const ifModifiedSince = req.getHeader('if-modified-since');
  // While the output budget is spent, a GET is refused before the engine copies its value (as a
  // WebSocket request is answered Busy then): the copy of a value that is refused is garbage that
  // the refused client would otherwise still cost the process until the next GC.
  if (!isHead && !exchange.admitBody(unknownBodyBytes)) {
    context.metrics.countRequestFailure(httpTransport, Status.Busy);
    return;
  }
  // HEAD runs a get, not a head op: its Content-Length must be the value's, and only get knows it.
  run(context, exchange, { op: 'get', ns: namespace.name, key }, namespace, (result) => {
    if (result.status !== Status.Ok) {
      exchange.sendError(result.status);
      return;
    }
    const notModified = ifNoneMatch.kind !== 'absent' ? matchesGeneration(ifNoneMatch, result.generation) : notModifiedSince(ifModifiedSince, result.lastModified);
    const value = result.value ?? new Uint8Array(0);
    const sendsBody = !notModified && !isHead;
    if (sendsBody && !exchange.admitBody(value.byteLength)) {
      context.metrics.countRequestFailure(httpTransport, Status.Busy);
      return;
    }
    exchange.respond((res, closeConnection) => {
      res.writeStatus(notModified ? '304 Not Modified' : '200 OK');
      writeRecordHeaders(res, result);
      writeSandboxHeaders(res);
      if (notModified) endEmpty(res, closeConnection);
      else if (isHead) res.endWithoutBody(value.byteLength, closeConnection);
      else exchange.endWithBody(res, value, closeConnection);
    });
  });
}

/**
 * Ends a 204 or 304, which carry no Content-Length. Not endWithoutBody(undefined, true): uWS.js
 * then writes `Content-Length: 9223372036854775808` and the connection is lost (measured, v20.30).
 * So `Connection: close` is written by hand; the client closes, and a drain closes what is left.
 */
function endEmpty(res: HttpResponse, closeConnection: boolean): void {
  if (closeConnection) res.writeHeader('Connection', 'close');
  res.endWithoutBody();
}

/**
 * A stored value is served on the API's own origin: a stored text/html page would otherwise run
 * with that origin's rights (read every key, write with the visitor's Host, open /v1/ws). The CSP
 * sandbox without allow-same-origin gives the page an opaque origin: its scripts still run, but its
 * fetches are cross-origin without CORS and its WebSocket carries `Origin: null`, which is refused.
 * nosniff keeps a browser from treating a text/plain or octet-stream value as HTML or script.
 * Constants: written on every GET/HEAD, so nothing is built per request.
 */
const nosniffName = 'X-Content-Type-Options';
const nosniffValue = 'nosniff';
const sandboxName = 'Content-Security-Policy';
const sandboxValue = 'sandbox allow-scripts allow-forms allow-popups allow-modals';

function writeSandboxHeaders(res: HttpResponse): void {
  res.writeHeader(nosniffName, nosniffValue);
  res.writeHeader(sandboxName, sandboxValue);
}

function writeRecordHeaders(res: HttpResponse, record: OpResult): void {
  res.writeHeader('ETag', formatEntityTag(record.generation));
  // Every write path checks content types (validate-op.ts); this second look is one short scan, so
  // a record stored before that check existed, or by a path that missed it, still cannot put bytes
  // of its own choosing into the header block.
  res.writeHeader('Content-Type', isMediaType(record.contentType) ? record.contentType : octetStream);
  res.writeHeader('Last-Modified', new Date(record.lastModified).toUTCString());
  if (record.expiry !== 0) {
    const secondsLeft = Math.max(0, record.expiry - Math.floor(Date.now() / 1000));
    res.writeHeader('Cache-Control', `max-age=${secondsLeft}`);
  }
}

/** If-Modified-Since holds when the record is not newer than the date (HTTP dates are in seconds). */
function notModifiedSince(header: string, lastModifiedMs: number): boolean {
  if (header === '') return false;
  const sinceMs = Date.parse(header);
  if (Number.isNaN(sinceMs)) return false;
  return Math.floor(lastModifiedMs / 1000) <= Math.floor(sinceMs / 1000);
}

interface PutPreconditions {
  mode: PutMode;
  ifGeneration: number | undefined;
  hasIfMatch: boolean;
}

/** The put mode and generation check the precondition headers ask for, or the status to refuse with. */
function putPreconditions(ifMatch: EntityTagCondition, ifNoneMatch: EntityTagCondition): PutPreconditions | { refuse: Status; message: string } {
  if (ifNoneMatch.kind === 'tags') return { refuse: Status.InvalidArgument, message: 'PUT supports If-None-Match: * only' };
  const createOnly = ifNoneMatch.kind === 'any';
  if (ifMatch.kind === 'absent') return { mode: createOnly ? 'create' : 'upsert', ifGeneration: undefined, hasIfMatch: false };
  if (createOnly) return { refuse: Status.GenerationMismatch, message: 'If-Match and If-None-Match: * can never both hold' };
  if (ifMatch.kind === 'any') return { mode: 'update', ifGeneration: undefined, hasIfMatch: true };
  const generation = singleGeneration(ifMatch);
  if (typeof generation !== 'number') return generation;
  return { mode: 'upsert', ifGeneration: generation, hasIfMatch: true };
}

/** If-Match with one entity tag → its generation; with none that can match → 412; several → 400. */
function singleGeneration(ifMatch: EntityTagCondition & { kind: 'tags' }): number | { refuse: Status; message: string } {
  if (ifMatch.count > 1) return { refuse: Status.InvalidArgument, message: 'If-Match with several entity tags is not supported' };
  const generation = ifMatch.generations[0];
  if (generation === undefined) return { refuse: Status.GenerationMismatch, message: 'If-Match names no generation of this record' };
  return generation;
}

function parseTtl(query: string | undefined): number | undefined | null {
  if (query === undefined || query === '') return undefined;
  if (!/^\d{1,10}$/.test(query)) return null;
  const ttl = Number(query);
  return ttl <= ttlSecMax ? ttl : null;
}

/**
 * How the request's body is framed, from every Content-Length and every Transfer-Encoding value
 * (uWS's getHeader returns only the first of each; forEach sees them all). A request with neither
 * costs two getHeader calls; one with a body, one pass over its headers.
 */
export function requestBodyFraming(req: HttpRequest): BodyFraming {
  if (req.getHeader('content-length') === '' && req.getHeader('transfer-encoding') === '') return bodyFraming(noHeaderValues, noHeaderValues);
  const lengths: string[] = [];
  const encodings: string[] = [];
  req.forEach((name, value) => {
    if (name === 'content-length' && lengths.length <= contentLengthHeadersMax) lengths.push(value);
    else if (name === 'transfer-encoding' && encodings.length <= contentLengthHeadersMax) encodings.push(value);
  });
  return bodyFraming(lengths, encodings);
}

const noHeaderValues: readonly string[] = [];

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
  const preconditions = putPreconditions(parseEntityTags(req.getHeader('if-match'), false), parseEntityTags(req.getHeader('if-none-match'), true));
  if ('refuse' in preconditions) {
    exchange.refuse(preconditions.refuse, preconditions.message, { httpCode: preconditions.refuse === Status.GenerationMismatch ? 412 : undefined });
    return;
  }
  const contentType = req.getHeader('content-type');
  const surrogateKeys = parseSurrogateKeyHeader(req.getHeader('surrogate-key'));
  if ('message' in surrogateKeys) {
    exchange.refuse(Status.InvalidArgument, surrogateKeys.message);
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
    const op: Op = { op: 'put', ns: namespace.name, key, value, mode: preconditions.mode };
    if (preconditions.ifGeneration !== undefined) op.ifGeneration = preconditions.ifGeneration;
    if (ttl !== undefined) op.ttl = ttl;
    if (contentType !== '') op.contentType = contentType;
    if (surrogateKeys.tags.length > 0) op.tags = surrogateKeys.tags;
    run(context, exchange, op, namespace, (result) => answerWrite(exchange, result, preconditions.hasIfMatch, result.created ? 201 : 200));
  });
}

function handleDelete(context: ContentContext, exchange: HttpExchange, req: HttpRequest, namespace: NamespaceConfig, key: Uint8Array): void {
  const ifMatch = parseEntityTags(req.getHeader('if-match'), false);
  let ifGeneration: number | undefined;
  if (ifMatch.kind === 'tags') {
    const generation = singleGeneration(ifMatch);
    if (typeof generation !== 'number') {
      exchange.refuse(generation.refuse, generation.message, { httpCode: generation.refuse === Status.GenerationMismatch ? 412 : undefined });
      return;
    }
    ifGeneration = generation;
  }
  const op: Op = ifGeneration === undefined ? { op: 'delete', ns: namespace.name, key } : { op: 'delete', ns: namespace.name, key, ifGeneration };
  run(context, exchange, op, namespace, (result) => answerWrite(exchange, result, ifMatch.kind !== 'absent', 204));
}

/** A put or delete result: okCode with the new ETag, or the status as an error (412 for failed preconditions). */
function answerWrite(exchange: HttpExchange, result: OpResult, hasIfMatch: boolean, okCode: 201 | 200 | 204): void {
  if (result.status === Status.Ok) {
    exchange.respond((res, closeConnection) => {
      res.writeStatus(statusLine(okCode));
      if (okCode === 204) {
        endEmpty(res, closeConnection);
        return;
      }
      res.writeHeader('ETag', formatEntityTag(result.generation)).end(undefined, closeConnection);
    });
    return;
  }
  // If-Match on a missing record is a failed precondition, not a plain 404 (RFC 9110 §13.1.1).
  if (result.status === Status.NotFound && hasIfMatch) {
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
