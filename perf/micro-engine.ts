// Engine micro-benchmarks: the key hash and a shard table's find and put, single-threaded on one
// table (no Piscina hop), 16-byte keys and 100-byte values as in the engine benchmark.

import { keyHash } from '../engine/hash';
import { ShardTable } from '../engine/table/shard-table';
import { recordHeaderBytes } from '../engine/table/table-layout';
import type { MicroCase, MicroSuite } from './micro-suite';

const keyBytes = 16;
const valueBytes = 100;
const keyCount = 100_000;

function fixture(): { table: ShardTable; source: Uint8Array; source32: Uint32Array; hashes: Uint32Array } {
  const table = new ShardTable(ShardTable.allocate(512 * 1024 * 1024));
  // Each key followed by its value, padded to 4, as ops sit in a batch buffer.
  const stride = (keyBytes + valueBytes + 3) & ~3;
  const source = new Uint8Array(keyCount * stride);
  const hashes = new Uint32Array(keyCount);
  for (let i = 0; i < keyCount; i++) {
    source.set(Buffer.from(`key-${i.toString().padStart(keyBytes - 4, '0')}`), i * stride);
    hashes[i] = keyHash(0, source, i * stride, keyBytes);
  }
  const source32 = new Uint32Array(source.buffer);
  for (let i = 0; i < keyCount; i++) put(table, source, source32, hashes, i, stride);
  return { table, source, source32, hashes };
}

function put(table: ShardTable, source: Uint8Array, source32: Uint32Array, hashes: Uint32Array, i: number, stride: number): number {
  const keyStart = i * stride;
  table.reserveIndexSlot();
  const slot = table.find(0, source, keyStart, keyBytes, hashes[i]!);
  const offset = table.allocate(recordHeaderBytes + keyBytes + valueBytes);
  table.writeRecord(offset, { namespaceId: 0, generation: 1, expiry: 0, lastModified: 0 }, source, source32, keyStart, keyBytes, 0, 0, keyStart + keyBytes, valueBytes);
  if (slot < 0) table.insertAtFoundSlot(hashes[i]!, offset);
  else {
    const previous = table.slotRecord(slot);
    table.replaceAt(slot, offset);
    table.free(previous, table.recordSlotBytes(previous));
  }
  return offset;
}

export const engineSuite: MicroSuite = {
  name: 'engine: hash, table find, table put (16-byte keys, 100-byte values, 100k records)',
  cases(): MicroCase[] {
    const { table, source, source32, hashes } = fixture();
    const stride = (keyBytes + valueBytes + 3) & ~3;
    let next = 0;
    return [
      { name: 'keyHash 16 bytes', run: () => keyHash(0, source, ((next = (next + 1) % keyCount)) * stride, keyBytes) },
      { name: 'table find (hit)', run: () => table.find(0, source, ((next = (next + 1) % keyCount)) * stride, keyBytes, hashes[next]!) },
      { name: 'table put (replace)', run: () => put(table, source, source32, hashes, (next = (next + 1) % keyCount), stride) },
    ];
  },
};
