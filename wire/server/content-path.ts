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

/** The bytes of a percent-encoded string, or null when a `%` is not followed by two hex digits. */
export function percentDecodeBytes(encoded: string): Uint8Array | null {
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

export function parseContentPath(url: string): ContentPath {
  if (!url.startsWith(contentPathPrefix)) return { ok: false, status: Status.InvalidArgument, message: 'not a content path' };
  const slash = url.indexOf('/', contentPathPrefix.length);
  const nsText = url.slice(contentPathPrefix.length, slash < 0 ? url.length : slash);
  const nsBytes = percentDecodeBytes(nsText);
  if (nsBytes === null || nsBytes.length === 0) {
    return { ok: false, status: Status.UnknownNamespace, message: `no namespace ${JSON.stringify(nsText)}` };
  }
  const ns = Buffer.from(nsBytes).toString('utf8');
  if (slash < 0) return { ok: false, status: Status.InvalidKey, message: 'the path has no key: use /v1/{namespace}/{key}' };
  const key = percentDecodeBytes(url.slice(slash + 1));
  if (key === null) return { ok: false, status: Status.InvalidKey, message: 'the key has a % not followed by two hex digits' };
  return { ok: true, ns, key };
}
