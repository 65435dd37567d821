// One slice of a scan page, in a shard: the records of a namespace whose key starts with a prefix
// and whose (hash, key) follows the after-position, in (hash, key) order (see front/scan-cursor.ts).
// Index slots are visited in home order, which is hash order, from the after-hash's home slot on;
// the slice ends at `reachedHash` (every matching record with hash <= reachedHash is in the answer)
// unless cut by the limit or by bytes. A slice examines at most scanSlotsPerSlice slots, which
// bounds how long a scan holds the shard.

import {
  scanFlagAfterWholeHash,
  scanFlagHasAfter,
  scanFlagTags,
  scanFlagValues,
  scanOpAfterHashByte,
  scanOpAfterKeyLengthByte,
  scanOpFlagsByte,
  scanOpHeaderBytes,
  scanOpLimitByte,
  scanOpPrefixLengthByte,
  opNamespaceIdByte,
  scanResultFlagCut,
} from '../layout/batch-layout';
import { isRecordOffset } from '../layout/table-layout';
import type { ShardState } from './shard-state';
import type { ShardTable } from './shard-table';

/** Index slots one scan slice examines before answering. */
export const scanSlotsPerSlice = 65536;
/** Bytes of records one scan slice returns at most (at least one record is always returned). */
export const scanSliceBytesMax = 4 * 1024 * 1024;

/** A scan op's fields, read once from the batch. */
export class ScanArgs {
  namespaceId = 0;
  source: Uint8Array = new Uint8Array(0);
  prefixStart = 0;
  prefixLength = 0;
  afterKeyStart = 0;
  afterKeyLength = 0;
  afterHash = 0;
  limit = 0;
  flags = 0;

  read(bytes: Uint8Array, view: DataView, position: number): this {
    this.namespaceId = bytes[position + opNamespaceIdByte]!;
    this.source = bytes;
    this.flags = bytes[position + scanOpFlagsByte]!;
    this.prefixLength = view.getUint16(position + scanOpPrefixLengthByte, true);
    this.afterKeyLength = view.getUint16(position + scanOpAfterKeyLengthByte, true);
    this.limit = view.getUint32(position + scanOpLimitByte, true);
    this.afterHash = view.getUint32(position + scanOpAfterHashByte, true);
    this.prefixStart = position + scanOpHeaderBytes;
    this.afterKeyStart = this.prefixStart + this.prefixLength;
    return this;
  }

  get hasAfter(): boolean {
    return (this.flags & scanFlagHasAfter) !== 0;
  }
}

const args = new ScanArgs();

export function scanSlice(state: ShardState, bytes: Uint8Array, view: DataView, position: number): void {
  const table = state.table;
  const scan = args.read(bytes, view, position);
  const log2 = table.indexLog2Capacity;
  const mask = table.indexCapacity - 1;
  const lowHash = scan.hasAfter ? scan.afterHash : 0;
  const firstSlot = lowHash >>> (32 - log2);
  const lastSlot = Math.min(mask, firstSlot + scanSlotsPerSlice - 1);
  const reachedHash = lastSlot === mask ? 0xffffffff : ((lastSlot + 1) * 2 ** (32 - log2) - 1) >>> 0;
  const candidates = collectCandidates(state, scan, firstSlot, lastSlot, reachedHash);
  candidates.sort((a, b) => compareSlots(table, a, b));
  const withValues = (scan.flags & scanFlagValues) !== 0;
  const withTags = (scan.flags & scanFlagTags) !== 0;
  const results = state.results;
  const start = results.beginScan();
  let count = 0;
  let sliceBytes = 0;
  for (const candidate of candidates) {
    const record = table.slotRecord(candidate);
    const recordBytes = table.recordKeyLength(record) + (withValues ? table.recordValueLength(record) : 0);
    if (count === scan.limit || (count > 0 && sliceBytes + recordBytes > scanSliceBytesMax)) break;
    // Tags only for snapshots: a lookup (and a run built) per tagged record.
    const tags = withTags ? state.tags.tagRunOf(scan.namespaceId, table.u8, table.recordKeyStart(record), table.recordKeyLength(record)) : null;
    results.writeScanRecord(table, candidate, record, withValues, tags);
    sliceBytes += recordBytes;
    count++;
  }
  results.finishScan(start, count < candidates.length ? scanResultFlagCut : 0, count, reachedHash);
}

/** Slots of matching records from firstSlot on; records displaced by probing sit past their home, up to the next empty slot. */
function collectCandidates(state: ShardState, scan: ScanArgs, firstSlot: number, lastSlot: number, reachedHash: number): number[] {
  const table = state.table;
  const mask = table.indexCapacity - 1;
  const lowHash = scan.hasAfter ? scan.afterHash : 0;
  const afterWholeHash = (scan.flags & scanFlagAfterWholeHash) !== 0;
  const candidates: number[] = [];
  let slot = firstSlot;
  for (let visited = 0; visited <= mask; visited++, slot = (slot + 1) & mask) {
    const record = table.slotRecord(slot);
    if (record === 0 && (slot > lastSlot || slot < firstSlot)) break;
    if (!isRecordOffset(record)) continue;
    const hash = table.slotHash(slot);
    if (hash < lowHash || hash > reachedHash) continue;
    if (table.recordNamespaceId(record) !== scan.namespaceId || state.isExpired(record)) continue;
    if (!hasPrefix(table, record, scan)) continue;
    if (scan.hasAfter && hash === scan.afterHash) {
      if (afterWholeHash) continue;
      if (compareBytes(table.u8, table.recordKeyStart(record), table.recordKeyLength(record), scan.source, scan.afterKeyStart, scan.afterKeyLength) <= 0) continue;
    }
    candidates.push(slot);
  }
  return candidates;
}

function hasPrefix(table: ShardTable, record: number, scan: ScanArgs): boolean {
  const prefixLength = scan.prefixLength;
  if (table.recordKeyLength(record) < prefixLength) return false;
  const u8 = table.u8;
  const keyStart = table.recordKeyStart(record);
  for (let i = 0; i < prefixLength; i++) if (u8[keyStart + i] !== scan.source[scan.prefixStart + i]) return false;
  return true;
}

/** (hash, key) order of two index slots. */
function compareSlots(table: ShardTable, a: number, b: number): number {
  const hashA = table.slotHash(a);
  const hashB = table.slotHash(b);
  if (hashA !== hashB) return hashA - hashB;
  const recordA = table.slotRecord(a);
  const recordB = table.slotRecord(b);
  return compareBytes(table.u8, table.recordKeyStart(recordA), table.recordKeyLength(recordA), table.u8, table.recordKeyStart(recordB), table.recordKeyLength(recordB));
}

/** Byte order of a[aStart, +aLength) and b[bStart, +bLength); a prefix sorts first. */
export function compareBytes(a: Uint8Array, aStart: number, aLength: number, b: Uint8Array, bStart: number, bLength: number): number {
  const length = Math.min(aLength, bLength);
  for (let i = 0; i < length; i++) {
    const difference = a[aStart + i]! - b[bStart + i]!;
    if (difference !== 0) return difference;
  }
  return aLength - bLength;
}
