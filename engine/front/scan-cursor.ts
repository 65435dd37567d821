// The opaque scan cursor: the (hash, key) position after which the next page starts.
// Records are paged in (hash32, key bytes) order, an order every shard can resume in whatever its
// index size (see the scan slice in shard/shard-scan.ts), so a key present for the whole scan is
// returned exactly once even while tables grow. "wholeHash" means every key of that hash is done.
//
// Encoding (base64url): u8 version, u8 namespaceId, u8 flags (1 = wholeHash), u32 hash (BE), key.

import { Status, StatusError } from '../layout/status';

const cursorVersion = 1;
const flagWholeHash = 1;

export interface ScanPosition {
  hash: number;
  /** null = after every key of `hash`. */
  key: Uint8Array | null;
}

export function encodeScanCursor(namespaceId: number, position: ScanPosition): string {
  const key = position.key ?? new Uint8Array(0);
  const bytes = Buffer.alloc(7 + key.length);
  bytes[0] = cursorVersion;
  bytes[1] = namespaceId;
  bytes[2] = position.key === null ? flagWholeHash : 0;
  bytes.writeUInt32BE(position.hash, 3);
  bytes.set(key, 7);
  return bytes.toString('base64url');
}

export function decodeScanCursor(cursor: string, namespaceId: number, maxKeyBytes: number): ScanPosition {
  if (!/^[A-Za-z0-9_-]*$/.test(cursor)) throw new StatusError(Status.InvalidCursor);
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length < 7 || bytes[0] !== cursorVersion || bytes[1] !== namespaceId || (bytes[2]! & ~flagWholeHash) !== 0) {
    throw new StatusError(Status.InvalidCursor);
  }
  const wholeHash = bytes[2] === flagWholeHash;
  const key = bytes.subarray(7);
  if (wholeHash ? key.length !== 0 : key.length === 0 || key.length > maxKeyBytes) throw new StatusError(Status.InvalidCursor);
  return { hash: bytes.readUInt32BE(3), key: wholeHash ? null : new Uint8Array(key) };
}

/** Orders positions; a null key (after the whole hash) sorts after every key of that hash. */
export function comparePositions(a: ScanPosition, b: ScanPosition): number {
  if (a.hash !== b.hash) return a.hash - b.hash;
  if (a.key === null) return b.key === null ? 0 : 1;
  if (b.key === null) return -1;
  return Buffer.compare(a.key, b.key);
}
