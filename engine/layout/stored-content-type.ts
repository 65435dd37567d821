// A record's content-type bytes hold its media type and, when the writer gave one, its own HTTP
// Cache-Control, joined by one LF:
//
//   "text/html; charset=utf-8"                   no Cache-Control of its own
//   "text/html; charset=utf-8\nmax-age=30"       with one
//   "\nno-store"                                 a Cache-Control without a media type
//
// LF can appear in neither part (media-type.ts, isCacheControlValue below), so the split is
// unambiguous. Stored there, the Cache-Control travels with the record through the journal, the
// WAL, snapshots and the replication stream with no format change, and costs a record nothing
// when absent and 1 + its length in bytes when present (the content-type region is already in
// every record: a u8 length, contentTypeBytesMax = 255 bytes for both parts together).
// The parts are separated where the front turns results into objects (result-collectors.ts,
// scan-merge.ts), where the WebSocket fast path encodes results from their views
// (encode-response.ts, result-store.ts) and where changes are encoded for subscribers: nothing
// outside sees the LF.

import { contentTypeBytesMax } from './limits';

const separator = '\n';
/** A Cache-Control value kept with a record: at most this many bytes. */
export const cacheControlBytesMax = 128;

/** The stored form of a media type and a Cache-Control ('' = none). */
export function joinStoredContentType(contentType: string, cacheControl: string): string {
  return cacheControl === '' ? contentType : `${contentType}${separator}${cacheControl}`;
}

/** The media type of a stored content type. */
export function mediaTypeOf(stored: string): string {
  const at = stored.indexOf(separator);
  return at === -1 ? stored : stored.slice(0, at);
}

/** The record's own Cache-Control ('' = none). */
export function cacheControlOf(stored: string): string {
  const at = stored.indexOf(separator);
  return at === -1 ? '' : stored.slice(at + 1);
}

/**
 * A Cache-Control value as a writer may store it: 1..cacheControlBytesMax of visible ASCII, space
 * and tab (RFC 9110 field-value without obs-text), not starting or ending with whitespace. It is
 * written back verbatim into HTTP responses, so CR, LF, NUL and every other control are refused.
 */
export function isCacheControlValue(text: string): boolean {
  const length = text.length;
  if (length === 0 || length > cacheControlBytesMax) return false;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x09 || code === 0x20) {
      if (index === 0 || index === length - 1) return false;
      continue;
    }
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

/** True when both parts fit the record's content-type bytes together. */
export function fitsContentTypeBytes(contentTypeBytes: number, cacheControl: string): boolean {
  return contentTypeBytes + (cacheControl === '' ? 0 : 1 + cacheControl.length) <= contentTypeBytesMax;
}
