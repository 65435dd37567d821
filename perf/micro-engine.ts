// Engine micro-benchmarks: the table hash, the partition function, and a shard table's find and put,
// single-threaded on one table (no Piscina hop), 16-byte keys and 100-byte values as in the engine
// benchmark. The put is the table half of the shard's put as it ships (shard/shard-executor.ts):
// reserve, find, allocate, writeRecord, then ShardTable.swap (or link), accounting included.

import { ByteRuns } from '../engine/layout/byte-runs';
import { keyHash } from '../engine/layout/hash';
import { partitionOfKey } from '../engine/layout/partition';
import { recordBytesOf } from '../engine/layout/table-layout';
import { allocateTableBuffer } from '../engine/layout/table-reader';
import { ShardTable, type RecordFields } from '../engine/shard/shard-table';
import type { MicroCase, MicroSuite } from './micro-suite';

const keyBytes = 16;
const valueBytes = 100;
const keyCount = 100_000;
const stride = (keyBytes + valueBytes + 3) & ~3;

interface Fixture {
  table: ShardTable;
  source: Uint8Array;
  runs: ByteRuns;
  fields: RecordFields;
  hashes: Uint32Array;
}

function fixture(): Fixture {
  const table = new ShardTable(allocateTableBuffer(512 * 1024 * 1024));
  // Each key followed by its value, padded to 4, as ops sit in a batch buffer.
  const source = new Uint8Array(keyCount * stride);
  const hashes = new Uint32Array(keyCount);
  for (let i = 0; i < keyCount; i++) {
    source.set(Buffer.from(`key-${i.toString().padStart(keyBytes - 4, '0')}`), i * stride);
    hashes[i] = keyHash(0, source, i * stride, keyBytes);
  }
  const runs = new ByteRuns().from(source, new Uint32Array(source.buffer));
  const state: Fixture = { table, source, runs, fields: { namespaceId: 0, generation: 1, expiry: 0, lastModified: 0 }, hashes };
  for (let i = 0; i < keyCount; i++) put(state, i);
  return state;
}

function put(state: Fixture, i: number): number {
  const { table, runs, hashes } = state;
  const keyStart = i * stride;
  table.reserveIndexSlot();
  const slot = table.find(0, state.source, keyStart, keyBytes, hashes[i]!);
  const offset = table.allocate(recordBytesOf(keyBytes, 0, valueBytes));
  table.writeRecord(offset, state.fields, runs.contiguous(keyStart, keyBytes, 0, valueBytes));
  if (slot < 0) table.link(hashes[i]!, offset);
  else table.swap(slot, table.slotRecord(slot), offset);
  return offset;
}

export const engineSuite: MicroSuite = {
  name: 'engine: hash, partition, table find, table put (16-byte keys, 100-byte values, 100k records)',
  cases(): MicroCase[] {
    const state = fixture();
    const { table, source, hashes } = state;
    let next = 0;
    return [
      { name: 'keyHash 16 bytes', run: () => keyHash(0, source, ((next = (next + 1) % keyCount)) * stride, keyBytes) },
      { name: 'partitionOfKey 16 bytes (CRC16 key slot)', run: () => partitionOfKey(source, ((next = (next + 1) % keyCount)) * stride, keyBytes) },
      { name: 'table find (hit)', run: () => table.find(0, source, ((next = (next + 1) % keyCount)) * stride, keyBytes, hashes[next]!) },
      { name: 'table put (replace)', run: () => put(state, (next = (next + 1) % keyCount)) },
    ];
  },
};
