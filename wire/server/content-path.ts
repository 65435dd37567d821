// Parses the path of a content request, `/v1/{ns}/{key}`. The key is everything after the
// namespace segment, slashes included, percent-decoded byte by byte: `%C3%A9` becomes the two bytes
// C3 A9, so any key a WebSocket client can write is reachable over HTTP too.

import { Status } from '../../engine/layout/status';

export const contentPathPrefix = '/v1/';

export type ContentPath =
  | { ok: true; ns: string; key: Uint8Array }
  | { ok: false; status: Status; message: string };

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/** Whether text is all ASCII without a `%`: its bytes are then its char codes, nothing to decode. */
function isPlainAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x80 || code === 0x25) return false;
  }
  return true;
}

/** The bytes of a percent-encoded string, or null when a `%` is not followed by two hex digits. */
export function percentDecodeBytes(encoded: string): Uint8Array | null {
  // Most keys and names are plain ASCII: copied char by char, without a Buffer and a UTF-8 pass
  // (measured as a few percent of the HTTP GET path's CPU).
  if (isPlainAscii(encoded)) {
    const bytes = new Uint8Array(encoded.length);
    for (let index = 0; index < encoded.length; index++) bytes[index] = encoded.charCodeAt(index);
    return bytes;
  }
  const raw = Buffer.from(encoded, 'utf8');
  if (!raw.includes(0x25)) return new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  const decoded = Buffer.allocUnsafe(raw.length);
  let length = 0;
  for (let index = 0; index < raw.length; index++) {
    const byte = raw[index] ?? 0;
    if (byte !== 0x25) {
      decoded[length++] = byte;
      continue;
    }
    const high = hexValue(raw[index + 1] ?? 0);
    const low = hexValue(raw[index + 2] ?? 0);
    if (high < 0 || low < 0) return null;
    decoded[length++] = high * 16 + low;
    index += 2;
  }
  return new Uint8Array(decoded.buffer, decoded.byteOffset, length);
}

/** A path segment's namespace name, percent-decoded as UTF-8 (a plain one is its own text), or null. */
export function namespaceOf(segment: string): string | null {
  if (segment.length === 0) return null;
  if (isPlainAscii(segment)) return segment;
  const bytes = percentDecodeBytes(segment);
  return bytes === null || bytes.length === 0 ? null : Buffer.from(bytes).toString('utf8');
}

export function parseContentPath(url: string): ContentPath {
  if (!url.startsWith(contentPathPrefix)) return { ok: false, status: Status.InvalidArgument, message: 'not a content path' };
  const slash = url.indexOf('/', contentPathPrefix.length);
  const nsText = url.slice(contentPathPrefix.length, slash < 0 ? url.length : slash);
  const ns = namespaceOf(nsText);
  if (ns === null) return { ok: false, status: Status.UnknownNamespace, message: `no namespace ${JSON.stringify(nsText)}` };
  if (slash < 0) return { ok: false, status: Status.InvalidKey, message: 'the path has no key: use /v1/{namespace}/{key}' };
  const key = percentDecodeBytes(url.slice(slash + 1));
  if (key === null) return { ok: false, status: Status.InvalidKey, message: 'the key has a % not followed by two hex digits' };
  return { ok: true, ns, key };
}
