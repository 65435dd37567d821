// The headers of one record version as one block of bytes, made from preformatted pieces (issue 10:
// "the same for HTTP"). A GET costs one writeStatus call into uWS where it cost eight, each
// converting its JavaScript strings to UTF-8 (v8::String::Utf8Length / WriteUtf8 / Utf8Value, ~8 %
// of the server's samples under wrk), plus the ETag's number formatting and a Date's printf-based
// toUTCString per request. Measured in a uWS handler (v20.30): the status line and these seven
// headers one by one took ~1.25 µs; one block as bytes ~0.3 µs.
//
//   `200 OK\r\nETag: "<lastModified µs>-<generation>"\r\n    digits written straight into the scratch
//    Tessera-Generation: <generation>\r\n
//    Content-Type: <type>\r\n                        per (namespace, stored content type, TTL or not):
//    Last-Modified: <date>\r\n                       per epoch second: kept as bytes (bounded)
//    [Cache-Control: <policy or the record's own>\r\n]  with the content type: kept as bytes
//    Accept-Ranges: bytes\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: …`
//
// The block is the argument of one writeStatus that carries the header lines after CRLFs: uWS
// writes `HTTP/1.1 `, it and a CRLF byte for byte, so the wire holds exactly the status line and
// headers written one by one before (the legacy listener's adapter splits the block back into
// headers, legacy-http.ts). Nothing in
// the block is kept per record version: the version's own parts (the two numbers and the date of
// its second) are written afresh for every response, so a put is seen by the very next GET; what
// is kept depends only on the stored content type, the namespace's policy and the clock second.
// A stored content type and Cache-Control are checked (isMediaType, isCacheControlValue) before
// their bytes are kept, and those checks admit no CR, LF or other control (asserted again).

import { assert } from '../../engine/layout/assert';
import { isMediaType } from '../../engine/layout/media-type';
import { cacheControlOf, isCacheControlValue, mediaTypeOf } from '../../engine/layout/stored-content-type';
import type { NamespaceConfig } from '../../engine/layout/types';
import { cacheControlFor } from './cache-control';
import { formatHttpDate } from './http-date';

const octetStream = 'application/octet-stream';
/** Distinct stored content types kept per namespace (a handful per site); past it the map starts over. */
const storedTypesKeptMax = 1024;
/** Epoch seconds whose Last-Modified bytes are kept (direct-mapped by second). */
const dateSlots = 1024;
/** Longer than any block and its status prefix: two numbers of at most 17 digits, a content type and Cache-Control of at most 255 bytes together, the constant lines. */
const scratchBytes = 2048;

export const sandboxLines = 'X-Content-Type-Options: nosniff\r\nContent-Security-Policy: sandbox allow-scripts allow-forms allow-popups allow-modals';
const tail = latin1(`Accept-Ranges: bytes\r\n${sandboxLines}`);
/** What the scratch starts with, written once; the block follows it. */
const statusPrefix = latin1('200 OK\r\nETag: ');
const generationPrefix = latin1('\r\nTessera-Generation: ');
const lastModifiedPrefix = latin1('Last-Modified: ');
const cacheControlPrefix = latin1('Cache-Control: ');
const quote = 0x22;
const dash = 0x2d;
const zero = 0x30;
const carriageReturn = 0x0d;
const lineFeed = 0x0a;

/** What a stored content type gives a response, in a namespace, for a record with or without a TTL. */
export class TypeHeaders {
  readonly namespace: NamespaceConfig;
  /** The Content-Type sent: the stored media type when it is one, else application/octet-stream. */
  readonly contentType: string;
  /** The Cache-Control when it is not per request: the record's own, or the policy's ('' = none). */
  readonly cacheControl: string;
  /** A TTL and no Cache-Control of its own: max-age counts down, so it is made per request. */
  readonly ttlCacheControl: boolean;
  /** `Content-Type: …\r\n` */
  readonly contentTypeLine: Uint8Array;
  /** `Cache-Control: …\r\n`, or empty. */
  readonly cacheControlLine: Uint8Array;

  constructor(namespace: NamespaceConfig, storedContentType: string, hasTtl: boolean) {
    this.namespace = namespace;
    // Every write path checks content types (validate-op.ts); they are looked at again here, so a
    // record stored before that check existed still cannot put bytes of its own into the headers.
    const mediaType = mediaTypeOf(storedContentType);
    this.contentType = isMediaType(mediaType) ? mediaType : octetStream;
    // The record's own Cache-Control (stored with its PUT) is served as given; it was checked when
    // stored, and is looked at again here as the content type is.
    const own = cacheControlOf(storedContentType);
    const hasOwn = own !== '' && isCacheControlValue(own);
    this.ttlCacheControl = !hasOwn && hasTtl;
    // Without a TTL the namespace's policy is one constant string (cacheControlFor keeps it).
    this.cacheControl = hasOwn ? own : hasTtl ? '' : cacheControlFor(namespace, 0, 0);
    this.contentTypeLine = headerLine('Content-Type', this.contentType);
    this.cacheControlLine = this.cacheControl === '' ? new Uint8Array(0) : headerLine('Cache-Control', this.cacheControl);
  }
}

/** Per namespace: the TypeHeaders of each stored content type, for records without and with a TTL. */
interface NamespaceTypes {
  withoutTtl: Map<string, TypeHeaders>;
  withTtl: Map<string, TypeHeaders>;
}

export class RecordHeaderFormatter {
  readonly #types = new Map<NamespaceConfig, NamespaceTypes>();
  readonly #scratch = withStatusPrefix(new Uint8Array(scratchBytes));
  /** Views of the scratch by length (at most scratchBytes of them). */
  readonly #views: (Uint8Array | undefined)[] = [];
  readonly #dateSeconds = new Float64Array(dateSlots).fill(Number.NaN);
  readonly #dates: Uint8Array[] = new Array<Uint8Array>(dateSlots);

  /** The headers a stored content type gives (kept, bounded). */
  typeHeaders(namespace: NamespaceConfig, storedContentType: string, expiry: number): TypeHeaders {
    let types = this.#types.get(namespace);
    if (types === undefined) {
      types = { withoutTtl: new Map(), withTtl: new Map() };
      this.#types.set(namespace, types);
    }
    const hasTtl = expiry !== 0;
    const kept = hasTtl ? types.withTtl : types.withoutTtl;
    let headers = kept.get(storedContentType);
    if (headers === undefined) {
      headers = new TypeHeaders(namespace, storedContentType, hasTtl);
      if (kept.size >= storedTypesKeptMax) kept.clear();
      kept.set(storedContentType, headers);
    }
    return headers;
  }

  /**
   * `200 OK\r\nETag: ` and the block: the whole status line and headers of an identity 200 as the
   * argument of one writeStatus, a view of a reused buffer valid until the next call (uWS copies
   * it when it is written). nowSec: the clock, read only for a record whose Cache-Control counts
   * down its TTL (types.ttlCacheControl). uWS writes `HTTP/1.1 `, it and a CRLF byte for byte: the wire
   * holds what writeStatus('200 OK') and writeHeader('ETag', <the rest>) wrote, in two fewer
   * native calls and four fewer writes (each one a send() once uWS's 16 KiB cork buffer has
   * overflowed, as pipelined responses of 1 KiB values do).
   */
  statusBlock(types: TypeHeaders, lastModified: number, generation: number, expiry: number, nowSec: number): Uint8Array {
    const end = this.#write(types, lastModified, generation, expiry, nowSec);
    // One view per length, made once: blocks take few lengths, and the scratch never moves.
    let view = this.#views[end];
    if (view === undefined) {
      view = this.#scratch.subarray(0, end);
      this.#views[end] = view;
    }
    return view;
  }

  /** Writes the block after the status prefix; returns its end in the scratch. */
  #write(types: TypeHeaders, lastModified: number, generation: number, expiry: number, nowSec: number): number {
    const scratch = this.#scratch;
    let at = statusPrefix.length;
    scratch[at++] = quote;
    at = writeDigits(scratch, at, Math.round(lastModified * 1000));
    scratch[at++] = dash;
    at = writeDigits(scratch, at, generation);
    scratch[at++] = quote;
    scratch.set(generationPrefix, at);
    at = writeDigits(scratch, at + generationPrefix.length, generation);
    scratch[at++] = carriageReturn;
    scratch[at++] = lineFeed;
    scratch.set(types.contentTypeLine, at);
    at += types.contentTypeLine.length;
    scratch.set(lastModifiedPrefix, at);
    at += lastModifiedPrefix.length;
    const date = this.#date(Math.floor(lastModified / 1000));
    scratch.set(date, at);
    at += date.length;
    if (types.ttlCacheControl) {
      at = this.#writeTtlCacheControl(at, types, expiry, nowSec);
    } else {
      scratch.set(types.cacheControlLine, at);
      at += types.cacheControlLine.length;
    }
    scratch.set(tail, at);
    at += tail.length;
    return at;
  }

  /** `Cache-Control: max-age=<seconds left>…\r\n` for a record with a TTL (cacheControlFor). */
  #writeTtlCacheControl(at: number, types: TypeHeaders, expiry: number, nowSec: number): number {
    const value = cacheControlFor(types.namespace, expiry, nowSec);
    if (value === '') return at;
    const scratch = this.#scratch;
    assert(isFieldValue(value) && at + cacheControlPrefix.length + value.length + 2 + tail.length <= scratchBytes, 'a TTL Cache-Control fits the block');
    scratch.set(cacheControlPrefix, at);
    at += cacheControlPrefix.length;
    for (let index = 0; index < value.length; index++) scratch[at++] = value.charCodeAt(index);
    scratch[at++] = carriageReturn;
    scratch[at++] = lineFeed;
    return at;
  }

  /** `<IMF-fixdate>\r\n` of an epoch second, kept by second (direct-mapped). */
  #date(epochSeconds: number): Uint8Array {
    const slot = (epochSeconds & (dateSlots - 1)) >>> 0;
    if (this.#dateSeconds[slot] === epochSeconds) return this.#dates[slot]!;
    const bytes = latin1(`${formatHttpDate(epochSeconds)}\r\n`);
    this.#dateSeconds[slot] = epochSeconds;
    this.#dates[slot] = bytes;
    return bytes;
  }
}

/** The decimal digits of a whole number 0 ≤ n < 2^53 at `at`; returns the index after them. */
function writeDigits(into: Uint8Array, at: number, value: number): number {
  assert(Number.isSafeInteger(value) && value >= 0, 'header digits of a whole number');
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let rest = value;
  for (let index = at + digits - 1; index >= at; index--) {
    const next = Math.floor(rest / 10);
    into[index] = zero + (rest - next * 10);
    rest = next;
  }
  return at + digits;
}

function headerLine(name: string, value: string): Uint8Array {
  assert(isFieldValue(value), 'a header value holds only visible ASCII, spaces and tabs');
  return latin1(`${name}: ${value}\r\n`);
}

/** Visible ASCII, SP and HTAB: no CR, LF or other control can reach a block. */
function isFieldValue(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code !== 0x09 && (code < 0x20 || code > 0x7e)) return false;
  }
  return true;
}

function withStatusPrefix(scratch: Uint8Array): Uint8Array {
  scratch.set(statusPrefix, 0);
  return scratch;
}

function latin1(text: string): Uint8Array {
  // A copy of its own (Buffer.from would share its 8 KiB pool), kept for the life of the process.
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}
