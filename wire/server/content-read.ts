// The answer to a GET or HEAD of a record that exists, in RFC 9110's order: preconditions (412 or
// 304, conditional-request.ts), then Range (206 or 416, byte-range.ts) and If-Range, then the
// content coding (content-encoding.ts, compressed-copies.ts), then the headers every version
// carries (ETag, Tessera-Generation, Last-Modified, Content-Type, Cache-Control).
//
// Compression and ranges never mix: a GET that carries any Range is served as stored (identity),
// so byte positions always count the stored bytes, whatever the client accepts. A compressed body
// is sent with the weak form of the ETag (W/"..."): the same version in other bytes, which If-None-Match
// (weak) still matches and If-Match / If-Range (strong) do not, as RFC 9110 §8.8.1 asks.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { Status } from '../../engine/layout/status';
import type { NamespaceConfig, OpResult } from '../../engine/layout/types';
import { isMediaType } from '../../engine/layout/media-type';
import { isCacheControlValue } from '../../engine/layout/stored-content-type';
import { parseByteRange, RangeOutcome, type ByteRange } from './byte-range';
import { cacheControlFor } from './cache-control';
import type { CompressedCopies } from './compressed-copies';
import { ConditionOutcome, evaluateConditions, httpDateSeconds, lastModifiedSeconds, readConditions, type RequestConditions } from './conditional-request';
import { Coding, codingName, isCompressible, negotiateCoding } from './content-encoding';
import { formatEntityTag, matchesStrongly, parseEntityTags, weakEntityTag } from './entity-tags';
import type { HttpExchange } from './http-exchange';

/** The headers of a GET or HEAD, read while the HttpRequest is valid (until the handler returns). */
export interface ReadRequest {
  conditions: RequestConditions;
  range: string;
  ifRange: string;
  acceptEncoding: string;
  isHead: boolean;
}

export function readRequestOf(req: HttpRequest, isHead: boolean): ReadRequest {
  // Each getHeader crosses into uWS and back: If-Range means nothing without a Range.
  const range = req.getHeader('range');
  return {
    conditions: readConditions(req),
    range,
    ifRange: range === '' ? '' : req.getHeader('if-range'),
    acceptEncoding: req.getHeader('accept-encoding'),
    isHead,
  };
}

const octetStream = 'application/octet-stream';
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
 * `key` is only read to name a compressed copy (compressed-copies.ts). False when the body was
 * refused by the output budget (answered 503 Busy, http-exchange.ts admitBody).
 */
export function answerRead(exchange: HttpExchange, namespace: NamespaceConfig, key: Uint8Array, compressed: CompressedCopies, request: ReadRequest, record: OpResult): boolean {
  const value = record.value ?? noValue;
  const entityTag = formatEntityTag(record.lastModified, record.generation);
  const outcome = evaluateConditions(request.conditions, entityTag, record.lastModified, true);
  if (outcome === ConditionOutcome.PreconditionFailed) {
    exchange.sendError(Status.GenerationMismatch, 'If-Match or If-Unmodified-Since does not hold for the current version', { httpCode: 412 });
    return true;
  }
  const contentType = isMediaType(record.contentType) ? record.contentType : octetStream;
  const compressible = isCompressible(contentType, value.byteLength);
  const coding = compressible && request.range === '' ? negotiateCoding(request.acceptEncoding) : Coding.Identity;
  const sentTag = coding === Coding.Identity ? entityTag : weakEntityTag(entityTag);
  if (outcome === ConditionOutcome.NotModified) {
    exchange.respond((res, closeConnection) => {
      exchange.writeStatus(res, '304 Not Modified', compressible);
      writeRecordHeaders(res, namespace, record, sentTag, contentType);
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
  const body = coding === Coding.Identity ? value : compressed.copy(namespace.name, key, entityTag, coding, value);
  const sent = request.isHead ? noValue : range.outcome === RangeOutcome.Partial ? body.subarray(range.start, range.end + 1) : body;
  if (!exchange.admitBody(sent.byteLength)) return false;
  exchange.respond((res, closeConnection) => {
    if (range.outcome === RangeOutcome.Partial) {
      exchange.writeStatus(res, '206 Partial Content', compressible);
      res.writeHeader('Content-Range', `bytes ${range.start}-${range.end}/${value.byteLength}`);
    } else {
      exchange.writeStatus(res, '200 OK', compressible);
    }
    writeRecordHeaders(res, namespace, record, sentTag, contentType);
    res.writeHeader('Accept-Ranges', 'bytes');
    if (coding !== Coding.Identity) res.writeHeader('Content-Encoding', codingName(coding));
    writeSandboxHeaders(res);
    if (request.isHead) res.endWithoutBody(body.byteLength, closeConnection);
    else exchange.endWithBody(res, sent, closeConnection);
  });
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

/** The headers of a record version: on 200, 206, 304 and the answer to a write. */
export function writeRecordHeaders(res: HttpResponse, namespace: NamespaceConfig, record: OpResult, entityTag: string, contentType: string): void {
  res.writeHeader('ETag', entityTag);
  res.writeHeader('Tessera-Generation', String(record.generation));
  // Every write path checks content types (validate-op.ts); the caller looked again (isMediaType),
  // so a record stored before that check existed still cannot put bytes of its own into the headers.
  res.writeHeader('Content-Type', contentType);
  res.writeHeader('Last-Modified', new Date(record.lastModified).toUTCString());
  // The record's own Cache-Control (stored with its PUT) is served as given; it was checked when
  // stored, and is looked at again here as the content type is.
  const own = record.cacheControl;
  const cacheControl = own !== undefined && isCacheControlValue(own) ? own : cacheControlFor(namespace, record.expiry, Math.floor(Date.now() / 1000));
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
