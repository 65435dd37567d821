// The headers of one record version, formatted once per version and kept as bytes (issue 10: "the
// same for HTTP"). A GET of a record the server has answered before costs one lookup and one
// writeHeader call into uWS, where it cost eight calls, each converting its JavaScript strings to
// UTF-8 (v8::String::Utf8Length / WriteUtf8 / Utf8Value, ~8 % of the server's samples under wrk),
// plus the ETag's number formatting and a Date's printf-based toUTCString per request.
//
//   (namespace, lastModified, generation, expiry, stored content type) ──► slot (direct-mapped)
//        │ the same five in the slot: a hit, the bytes as they are
//        ▼ else: formatted now, checked as before (isMediaType, isCacheControlValue), kept in the slot
//   `"<etag>"\r\nTessera-Generation: N\r\nContent-Type: T\r\nLast-Modified: D[\r\nCache-Control: C]
//    \r\nAccept-Ranges: bytes\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: …`
//
// The block is the value of one `ETag` header that carries the other lines after CRLFs: uWS writes
// `name: value\r\n` byte for byte, so the wire holds exactly the headers written one by one before.
// Every piece is digits, a date, or a string that passed its header check when the block was
// built, so no CR or LF of a stored string can reach it (asserted). The legacy listener's adapter
// splits such a block back into headers (legacy-http.ts).
//
// A version is named by its lastModified and generation (the ETag's pair, unique per record for the
// life of the data: entity-tags.ts); a put makes a new pair, so the entry of the old version is
// simply never matched again (no invalidation needed). Two records of different keys may share the
// pair: the slot also compares the namespace, expiry and the stored content type (with the record's
// own Cache-Control), everything else the block is made of. Bounded: slotCount entries.

import { assert } from '../../engine/layout/assert';
import { isMediaType } from '../../engine/layout/media-type';
import { cacheControlOf, isCacheControlValue, mediaTypeOf } from '../../engine/layout/stored-content-type';
import type { NamespaceConfig } from '../../engine/layout/types';
import { cacheControlFor } from './cache-control';
import { formatEntityTag } from './entity-tags';
import { formatHttpDateMs } from './http-date';

const octetStream = 'application/octet-stream';
/** Entries kept (a power of two); ~250 bytes each with its block. */
export const recordHeaderSlots = 8192;
const slotBits = 13;
assert(1 << slotBits === recordHeaderSlots, 'recordHeaderSlots is 2^slotBits');

export const sandboxLines = 'X-Content-Type-Options: nosniff\r\nContent-Security-Policy: sandbox allow-scripts allow-forms allow-popups allow-modals';

/** One record version's headers. Read-only for callers. */
export class RecordHeaders {
  namespace: NamespaceConfig | null = null;
  lastModified = 0;
  generation = 0;
  expiry = 0;
  /** As stored: media type, then LF and the record's own Cache-Control when it has one. */
  storedContentType = '';
  /** The strong ETag of the version. */
  entityTag = '';
  /** The Content-Type sent (the stored media type when it is one, else application/octet-stream). */
  contentType = '';
  /**
   * True when Cache-Control is not in the block: the record has a TTL and no Cache-Control of its
   * own, so max-age counts down (cacheControlFor, per request).
   */
  ttlCacheControl = false;
  /** The Cache-Control when it is not per request: the record's own, or the namespace's ('' = none). */
  cacheControl = '';
  /** The value of the ETag header of a 200 (identity): the lines above, without the last CRLF. */
  block: Uint8Array = new Uint8Array(0);

  matches(namespace: NamespaceConfig, lastModified: number, generation: number, expiry: number, storedContentType: string): boolean {
    return this.lastModified === lastModified && this.generation === generation && this.namespace === namespace && this.expiry === expiry && this.storedContentType === storedContentType;
  }
}

export class RecordHeaderCache {
  readonly #slots: (RecordHeaders | null)[] = new Array<RecordHeaders | null>(recordHeaderSlots).fill(null);
  hits = 0;
  misses = 0;

  /** The headers of this version: kept, or formatted now and kept. */
  lookup(namespace: NamespaceConfig, lastModified: number, generation: number, expiry: number, storedContentType: string): RecordHeaders {
    const slot = slotOf(lastModified, generation);
    const kept = this.#slots[slot];
    if (kept !== null && kept !== undefined && kept.matches(namespace, lastModified, generation, expiry, storedContentType)) {
      this.hits++;
      return kept;
    }
    this.misses++;
    // A new object rather than the old one overwritten: a caller may still hold the old one.
    const built = buildHeaders(namespace, lastModified, generation, expiry, storedContentType);
    this.#slots[slot] = built;
    return built;
  }
}

function slotOf(lastModified: number, generation: number): number {
  const stamp = Math.round(lastModified * 1000);
  // The low and high 32 bits of the µs stamp (exact below 2^53), mixed with the generation.
  const mixed = Math.imul((stamp | 0) ^ Math.imul(generation, 0x85ebca6b), 0x9e3779b1) ^ ((stamp / 4_294_967_296) | 0);
  return Math.imul(mixed, 0xc2b2ae35) >>> (32 - slotBits);
}

function buildHeaders(namespace: NamespaceConfig, lastModified: number, generation: number, expiry: number, storedContentType: string): RecordHeaders {
  const headers = new RecordHeaders();
  headers.namespace = namespace;
  headers.lastModified = lastModified;
  headers.generation = generation;
  headers.expiry = expiry;
  headers.storedContentType = storedContentType;
  headers.entityTag = formatEntityTag(lastModified, generation);
  // Every write path checks content types (validate-op.ts); they are looked at again here, so a
  // record stored before that check existed still cannot put bytes of its own into the headers.
  const mediaType = mediaTypeOf(storedContentType);
  headers.contentType = isMediaType(mediaType) ? mediaType : octetStream;
  // The record's own Cache-Control (stored with its PUT) is served as given; it was checked when
  // stored, and is looked at again here as the content type is.
  const own = cacheControlOf(storedContentType);
  const hasOwn = own !== '' && isCacheControlValue(own);
  headers.ttlCacheControl = !hasOwn && expiry !== 0;
  // Without a TTL the namespace's policy is one constant string (cacheControlFor keeps it).
  const cacheControl = hasOwn ? own : expiry === 0 ? cacheControlFor(namespace, 0, 0) : '';
  headers.cacheControl = cacheControl;
  let text = `${headers.entityTag}\r\nTessera-Generation: ${generation}\r\nContent-Type: ${headers.contentType}\r\nLast-Modified: ${formatHttpDateMs(lastModified)}`;
  if (cacheControl !== '') text += `\r\nCache-Control: ${cacheControl}`;
  text += `\r\nAccept-Ranges: bytes\r\n${sandboxLines}`;
  assert(isHeaderText(text), 'a record header block holds only visible ASCII, spaces and its own CRLFs');
  headers.block = Buffer.from(text, 'latin1');
  return headers;
}

/** Visible ASCII, SP and HTAB, and CR only as part of CRLF: what a block may hold. */
function isHeaderText(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x0d) {
      if (text.charCodeAt(index + 1) !== 0x0a) return false;
      index++;
      continue;
    }
    if (code !== 0x09 && (code < 0x20 || code > 0x7e)) return false;
  }
  return true;
}
