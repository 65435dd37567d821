// How a request says how long its body is (RFC 9112 §6), decided once from the raw header values,
// before any byte of the body is taken as a value. A malformed or ambiguous length is refused (400,
// connection closed) and nothing is written: reading `Content-Length: abc` as 0 used to overwrite
// the record with an empty value, and accepting two differing Content-Length headers is one of the
// ingredients of request smuggling behind a proxy that picks the other one.

import type { HttpRequest } from 'uWebSockets.js';

export type BodyFraming =
  | { kind: 'length'; bytes: number }
  | { kind: 'chunked' }
  | { kind: 'none' }
  | { kind: 'invalid'; message: string };

/** Content-Length is 1*DIGIT; 15 digits keep it a safe integer (far above any value limit). */
const contentLengthPattern = /^\d{1,15}$/;
/** Header values a request may repeat before it is refused outright (each is checked). */
export const contentLengthHeadersMax = 8;

/**
 * contentLengths: every Content-Length value the request carried, in order; transferEncodings:
 * every Transfer-Encoding value, in order (a proxy may read another one than the first, so all are
 * judged). A request with neither has no body ('none'). Only a single `chunked` is supported: no
 * other coding is decoded here, and a list whose last coding is not chunked has no framing at all.
 */
export function bodyFraming(contentLengths: readonly string[], transferEncodings: readonly string[]): BodyFraming {
  if (transferEncodings.length > 0) {
    if (contentLengths.length > 0) return { kind: 'invalid', message: 'Content-Length and Transfer-Encoding together are ambiguous' };
    if (transferEncodings.length > 1) return { kind: 'invalid', message: 'several Transfer-Encoding headers' };
    if ((transferEncodings[0] as string).trim().toLowerCase() !== 'chunked') return { kind: 'invalid', message: 'only Transfer-Encoding: chunked is supported' };
    return { kind: 'chunked' };
  }
  if (contentLengths.length === 0) return { kind: 'none' };
  if (contentLengths.length > contentLengthHeadersMax) return { kind: 'invalid', message: 'too many Content-Length headers' };
  const first = contentLengths[0] as string;
  for (const value of contentLengths) {
    if (!contentLengthPattern.test(value)) return { kind: 'invalid', message: `Content-Length ${JSON.stringify(value.slice(0, 32))} is not a decimal length` };
    // RFC 9112 §6.3: several Content-Length headers are acceptable only when they all agree.
    if (value !== first) return { kind: 'invalid', message: 'several Content-Length headers that differ' };
  }
  return { kind: 'length', bytes: Number(first) };
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
