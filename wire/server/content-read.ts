// The answer to a GET or HEAD of a record that exists, in RFC 9110's order: preconditions (412 or
// 304, conditional-request.ts), then Range (206 or 416, byte-range.ts) and If-Range, then the
// content coding (content-encoding.ts, compressed-copies.ts), then the headers every version
// carries (ETag, Tessera-Generation, Last-Modified, Content-Type, Cache-Control).
//
// Compression and ranges never mix: a GET that carries any Range is served as stored (identity),
// so byte positions always count the stored bytes, whatever the client accepts. A compressed body
// is sent with the weak form of the ETag (W/"..."): the same version in other bytes, which If-None-Match
// (weak) still matches and If-Match / If-Range (strong) do not, as RFC 9110 §8.8.1 asks.
//
// Most GETs have no preconditions, no Range and nothing to compress: answerWhole writes them with
// the record's headers as one preformatted block (record-headers.ts), no ETag string and no
// closure; everything else takes the full path below, with the same headers one by one.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { assert } from '../../engine/layout/assert';
import { Status } from '../../engine/layout/status';
import type { NamespaceConfig } from '../../engine/layout/types';
import { parseByteRange, RangeOutcome, type ByteRange } from './byte-range';
import { cacheControlFor } from './cache-control';
import type { CompressedCopies } from './compressed-copies';
import { ConditionOutcome, evaluateConditions, hasConditions, httpDateSeconds, lastModifiedSeconds, readConditions, type RequestConditions } from './conditional-request';
import { Coding, codingName, isCompressible, negotiateCoding } from './content-encoding';
import { formatEntityTag, matchesStrongly, parseEntityTags, weakEntityTag } from './entity-tags';
import { formatHttpDateMs } from './http-date';
import type { HttpExchange, ResponseWriter } from './http-exchange';
import { endHead } from './http-head';
import type { RecordHeaderFormatter, TypeHeaders } from './record-headers';

/** The headers of a GET or HEAD, read while the HttpRequest is valid (until the handler returns). */
export interface ReadRequest {
  conditions: RequestConditions;
  range: string;
  ifRange: string;
  /**
   * null until asked for (acceptEncodingOf): a value that is not compressible never needs it,
   * and each getHeader crosses into uWS. Read from `req` while the handler runs.
   */
  acceptEncoding: string | null;
  /** The request while its handler runs (null in a copy kept past it). */
  req: HttpRequest | null;
  isHead: boolean;
}

/**
 * Reads the headers into `into` (a reused object when the request is answered within the
 * handler: copyReadRequest it before keeping it longer).
 */
export function readRequestOf(req: HttpRequest, isHead: boolean, into: ReadRequest = emptyReadRequest()): ReadRequest {
  // Each getHeader crosses into uWS and back: If-Range means nothing without a Range.
  const range = req.getHeader('range');
  into.conditions = readConditions(req);
  into.range = range;
  into.ifRange = range === '' ? '' : req.getHeader('if-range');
  into.acceptEncoding = null;
  into.req = req;
  into.isHead = isHead;
  return into;
}

/** Accept-Encoding, read from the request the first time it is asked for. */
function acceptEncodingOf(request: ReadRequest): string {
  if (request.acceptEncoding === null) {
    assert(request.req !== null, 'Accept-Encoding is read while the handler runs, or was copied');
    request.acceptEncoding = request.req.getHeader('accept-encoding');
  }
  return request.acceptEncoding;
}

export function emptyReadRequest(): ReadRequest {
  return { conditions: readConditions(noHeaders), range: '', ifRange: '', acceptEncoding: '', req: null, isHead: false };
}

/** A copy to keep past the handler: every header it may need is read now. */
export function copyReadRequest(request: ReadRequest): ReadRequest {
  return { conditions: request.conditions, range: request.range, ifRange: request.ifRange, acceptEncoding: acceptEncodingOf(request), req: null, isHead: request.isHead };
}

const noHeaders = { getHeader: (): string => '' };

/** What a read needs of a record version: a direct read's fields, or an OpResult's. */
export interface ReadRecord {
  generation: number;
  lastModified: number;
  expiry: number;
  /** As stored: the media type, then LF and the record's own Cache-Control (stored-content-type.ts). */
  storedContentType: string;
  value: Uint8Array;
  /** value is valid only during the call (a direct read's scratch): copied only if it must be held. */
  valueIsView: boolean;
}

const noValue = new Uint8Array(0);
const whole: ByteRange = { outcome: RangeOutcome.Whole, start: 0, end: 0 };

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

/**
 * The one writer of a whole identity 200 (GET or HEAD): its fields are set right before
 * respondWith, which calls write at once (corked), so one object serves every request.
 */
class WholeBodyWriter implements ResponseWriter {
  exchange: HttpExchange | null = null;
  formatter: RecordHeaderFormatter | null = null;
  types: TypeHeaders | null = null;
  lastModified = 0;
  generation = 0;
  expiry = 0;
  body: Uint8Array = noValue;
  bodyIsView = false;
  isHead = false;
  compressible = false;

  write(res: HttpResponse, closeConnection: boolean): void {
    const exchange = this.exchange!;
    const types = this.types!;
    // The status line with ETag, Tessera-Generation, Content-Type, Last-Modified, Cache-Control,
    // Accept-Ranges and the sandbox headers: one writeStatus (record-headers.ts statusBlock).
    const nowSec = types.ttlCacheControl ? Math.floor(Date.now() / 1000) : 0;
    exchange.writeStatus(res, this.formatter!.statusBlock(types, this.lastModified, this.generation, this.expiry, nowSec), this.compressible);
    if (this.isHead) endHead(res, this.body.byteLength, closeConnection);
    else exchange.endWithBody(res, this.body, closeConnection, this.bodyIsView);
  }

  clear(): void {
    this.exchange = null;
    this.formatter = null;
    this.types = null;
    this.body = noValue;
  }
}

const wholeBody = new WholeBodyWriter();

/** What answerRead needs besides the request and the record. */
export interface ReadContext {
  compressed: CompressedCopies;
  headers: RecordHeaderFormatter;
}

/**
 * `key` is only read to name a compressed copy (compressed-copies.ts). False when the body was
 * refused by the output budget (answered 503 Busy, http-exchange.ts admitBody).
 */
export function answerRead(exchange: HttpExchange, namespace: NamespaceConfig, key: Uint8Array, context: ReadContext, request: ReadRequest, record: ReadRecord): boolean {
  const value = record.value;
  const types = context.headers.typeHeaders(namespace, record.storedContentType, record.expiry);
  const compressible = isCompressible(types.contentType, value.byteLength);
  if (request.range === '' && !hasConditions(request.conditions) && !(compressible && negotiateCoding(acceptEncodingOf(request)) !== Coding.Identity)) {
    return answerWhole(exchange, context, request, record, types, compressible);
  }
  const entityTag = formatEntityTag(record.lastModified, record.generation);
  const outcome = evaluateConditions(request.conditions, entityTag, record.lastModified, true);
  if (outcome === ConditionOutcome.PreconditionFailed) {
    exchange.sendError(Status.GenerationMismatch, 'If-Match or If-Unmodified-Since does not hold for the current version', { httpCode: 412 });
    return true;
  }
  const coding = compressible && request.range === '' ? negotiateCoding(acceptEncodingOf(request)) : Coding.Identity;
  const sentTag = coding === Coding.Identity ? entityTag : weakEntityTag(entityTag);
  if (outcome === ConditionOutcome.NotModified) {
    exchange.respond((res, closeConnection) => {
      exchange.writeStatus(res, '304 Not Modified', compressible);
      writeRecordHeaders(res, types, record, sentTag);
      writeSandboxHeaders(res);
      endEmpty(res, closeConnection);
    });
    return true;
  }
  // RFC 9110 §14.2: Range is defined for GET only; a HEAD gets the whole representation's headers.
  const range = request.isHead || !ifRangeHolds(request.ifRange, entityTag, record.lastModified) ? whole : parseByteRange(request.range, value.byteLength);
  if (range.outcome === RangeOutcome.Unsatisfiable) {
    exchange.sendError(Status.InvalidArgument, `the range lies outside the value (${value.byteLength} bytes)`, {
      httpCode: 416,
      headers: [['Content-Range', `bytes */${value.byteLength}`]],
    });
    return true;
  }
  const body = coding === Coding.Identity ? value : context.compressed.copy(namespace.name, key, entityTag, coding, value);
  const sent = request.isHead ? noValue : range.outcome === RangeOutcome.Partial ? body.subarray(range.start, range.end + 1) : body;
  if (!exchange.admitBody(sent.byteLength)) return false;
  const bodyIsView = coding === Coding.Identity && record.valueIsView;
  exchange.respond((res, closeConnection) => {
    if (range.outcome === RangeOutcome.Partial) {
      exchange.writeStatus(res, '206 Partial Content', compressible);
      res.writeHeader('Content-Range', `bytes ${range.start}-${range.end}/${value.byteLength}`);
    } else {
      exchange.writeStatus(res, '200 OK', compressible);
    }
    writeRecordHeaders(res, types, record, sentTag);
    res.writeHeader('Accept-Ranges', 'bytes');
    if (coding !== Coding.Identity) res.writeHeader('Content-Encoding', codingName(coding));
    writeSandboxHeaders(res);
    if (request.isHead) endHead(res, body.byteLength, closeConnection);
    else exchange.endWithBody(res, sent, closeConnection, bodyIsView);
  });
  return true;
}

/**
 * A whole identity 200 (GET or HEAD) of a request without preconditions or Range: most GETs.
 * No entity tag string, no closure: the headers come from the preformatted pieces.
 */
function answerWhole(exchange: HttpExchange, context: ReadContext, request: ReadRequest, record: ReadRecord, types: TypeHeaders, compressible: boolean): boolean {
  const body = record.value;
  if (!exchange.admitBody(request.isHead ? 0 : body.byteLength)) return false;
  const writer = wholeBody;
  writer.exchange = exchange;
  writer.formatter = context.headers;
  writer.types = types;
  writer.lastModified = record.lastModified;
  writer.generation = record.generation;
  writer.expiry = record.expiry;
  writer.body = body;
  writer.bodyIsView = record.valueIsView;
  writer.isHead = request.isHead;
  writer.compressible = compressible;
  exchange.respondWith(writer);
  writer.clear();
  return true;
}

/**
 * If-Range (RFC 9110 §13.1.5): the range applies only to the version the client holds. An entity
 * tag must match strongly; a date must equal Last-Modified to the second. Absent: it holds.
 */
function ifRangeHolds(ifRange: string, entityTag: string, lastModifiedMs: number): boolean {
  if (ifRange === '') return true;
  const text = ifRange.trim();
  if (text.startsWith('"') || text.startsWith('W/')) return matchesStrongly(parseEntityTags(text), entityTag);
  const seconds = httpDateSeconds(text);
  return !Number.isNaN(seconds) && seconds === lastModifiedSeconds(lastModifiedMs);
}

/**
 * The headers of a record version one by one: on 206, 304 and compressed answers (a whole
 * identity 200 writes the same from the preformatted block). The content type and Cache-Control
 * were checked when the TypeHeaders were made (record-headers.ts).
 */
function writeRecordHeaders(res: HttpResponse, types: TypeHeaders, record: ReadRecord, entityTag: string): void {
  res.writeHeader('ETag', entityTag);
  res.writeHeader('Tessera-Generation', String(record.generation));
  res.writeHeader('Content-Type', types.contentType);
  res.writeHeader('Last-Modified', formatHttpDateMs(record.lastModified));
  const cacheControl = types.ttlCacheControl ? cacheControlFor(types.namespace, record.expiry, Math.floor(Date.now() / 1000)) : types.cacheControl;
  if (cacheControl !== '') res.writeHeader('Cache-Control', cacheControl);
}

function writeSandboxHeaders(res: HttpResponse): void {
  res.writeHeader(nosniffName, nosniffValue);
  res.writeHeader(sandboxName, sandboxValue);
}

/**
 * Ends a 204 or 304, which carry no Content-Length. Not endWithoutBody(undefined, true): uWS.js
 * then writes `Content-Length: 9223372036854775808` and the connection is lost (measured, v20.30).
 * So `Connection: close` is written by hand; the client closes, and a drain closes what is left.
 */
export function endEmpty(res: HttpResponse, closeConnection: boolean): void {
  if (closeConnection) res.writeHeader('Connection', 'close');
  res.endWithoutBody();
}
