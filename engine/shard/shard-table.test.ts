import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyHash } from '../layout/hash';
import { ByteRuns } from '../layout/byte-runs';
import { allocateTableBuffer } from '../layout/table-reader';
import { ShardTable } from './shard-table';
import { checkTable } from './table-check';
import { classOf, classSizes, pageBytesOf, slotBytesMax } from '../layout/size-classes';
import { headerBytes, indexCapacityLog2Min, recordHeaderBytes } from '../layout/table-layout';

const encoder = new TextEncoder();

/** Key and value in one padded source, as records are written from a batch. */
function runsOf(key: Uint8Array, value: Uint8Array): ByteRuns {
  const bytes = new Uint8Array((key.length + value.length + 3) & ~3);
  bytes.set(key, 0);
  bytes.set(value, key.length);
  return new ByteRuns().from(bytes, new Uint32Array(bytes.buffer)).contiguous(0, key.length, 0, value.length);
}

function insert(table: ShardTable, key: string, value: Uint8Array, generation = 1): number {
  const bytes = encoder.encode(key);
  const hash = keyHash(0, bytes, 0, bytes.length);
  assert.ok(table.reserveIndexSlot());
  assert.equal(table.find(0, bytes, 0, bytes.length, hash), -1, `${key} must be absent`);
  const offset = table.allocate(recordHeaderBytes + bytes.length + value.length);
  assert.ok(offset >= headerBytes);
  table.writeRecord(offset, { namespaceId: 0, generation, expiry: 0, lastModified: 1 }, runsOf(bytes, value));
  table.link(hash, offset);
  return offset;
}

function lookup(table: ShardTable, key: string): number {
  const bytes = encoder.encode(key);
  const slot = table.find(0, bytes, 0, bytes.length, keyHash(0, bytes, 0, bytes.length));
  return slot < 0 ? 0 : table.slotRecord(slot);
}

function remove(table: ShardTable, key: string): void {
  const bytes = encoder.encode(key);
  const slot = table.find(0, bytes, 0, bytes.length, keyHash(0, bytes, 0, bytes.length));
  assert.ok(slot >= 0);
  table.unlink(slot, table.slotRecord(slot));
}

test('size classes: smallest class that fits, 8-aligned, bounded waste', () => {
  assert.equal(classSizes[classOf(1)], 48);
  assert.equal(classSizes[classOf(148)], 152);
  assert.equal(classSizes[classOf(513)], 528);
  for (const bytes of [49, 100, 511, 1000, 1025, 5000, 100_000, 1_048_576, slotBytesMax]) {
    const size = classSizes[classOf(bytes)]!;
    assert.ok(size >= bytes && size % 8 === 0, `class for ${bytes} is ${size}`);
    assert.ok(size <= Math.max(bytes + 16, bytes * 1.125 + 8), `waste for ${bytes}: ${size}`);
    assert.ok(pageBytesOf(classOf(bytes)) % size === 0);
  }
  assert.equal(classOf(slotBytesMax + 1), -1);
});

test('insert, find and read back 50,000 records through index growth and rehash', () => {
  const table = new ShardTable(allocateTableBuffer(256 * 1024 * 1024));
  assert.equal(table.indexCapacity, 2 ** indexCapacityLog2Min);
  const count = 50_000;
  for (let i = 0; i < count; i++) insert(table, `key-${i}`, encoder.encode(`value-${i}`), i + 1);
  assert.ok(table.indexCapacity >= count / 0.75, `capacity ${table.indexCapacity} holds ${count} at load <= 0.75`);
  assert.equal(table.indexLive, count);
  for (let i = 0; i < count; i += 7) {
    const record = lookup(table, `key-${i}`);
    assert.ok(record > 0, `key-${i} found`);
    assert.equal(table.recordGeneration(record), i + 1);
    const start = table.recordValueStart(record);
    assert.equal(Buffer.from(table.u8.subarray(start, start + table.recordValueLength(record))).toString(), `value-${i}`);
  }
  assert.equal(lookup(table, 'absent'), 0);
  assert.equal(table.namespaceRecords(0), count);
  checkTable(table);
});

test('deletes leave tombstones that probes step over; rehash clears them', () => {
  const table = new ShardTable(allocateTableBuffer(64 * 1024 * 1024));
  for (let i = 0; i < 2000; i++) insert(table, `k${i}`, new Uint8Array(10));
  for (let i = 0; i < 2000; i += 2) remove(table, `k${i}`);
  for (let i = 1; i < 2000; i += 2) assert.ok(lookup(table, `k${i}`) > 0, `k${i} still found past tombstones`);
  for (let i = 0; i < 2000; i += 2) assert.equal(lookup(table, `k${i}`), 0);
  assert.equal(table.indexLive, 1000);
  // Churn: many inserts and deletes must not fill the index with tombstones.
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 1000; i++) insert(table, `churn-${round}-${i}`, new Uint8Array(4));
    for (let i = 0; i < 1000; i++) remove(table, `churn-${round}-${i}`);
  }
  assert.equal(table.indexLive, 1000);
  assert.ok(table.indexCapacity <= 2 ** 13, `capacity ${table.indexCapacity} stayed small under churn`);
  checkTable(table);
});

test('freed slots are reused (free list) and their version moves on', () => {
  const table = new ShardTable(allocateTableBuffer(64 * 1024 * 1024));
  const first = insert(table, 'a', new Uint8Array(100));
  const versionBefore = table.u32[first >>> 2]!;
  assert.equal(versionBefore % 2, 0, 'a stable record has an even version');
  remove(table, 'a');
  assert.equal(table.u32[first >>> 2], versionBefore + 2, 'freeing bumps the version by 2');
  const second = insert(table, 'b', new Uint8Array(100));
  assert.equal(second, first, 'same class: the freed slot comes back first');
  const other = insert(table, 'c', new Uint8Array(5000));
  assert.notEqual(other, first, 'another class uses another page');
  checkTable(table);
});

test('the buffer grows in place and reports out of memory at its reservation', () => {
  const buffer = allocateTableBuffer(40 * 1024 * 1024);
  const table = new ShardTable(buffer);
  const value = new Uint8Array(100_000);
  let inserted = 0;
  for (; inserted < 10_000; inserted++) {
    const bytes = encoder.encode(`big-${inserted}`);
    assert.ok(table.reserveIndexSlot());
    assert.equal(table.find(0, bytes, 0, bytes.length, keyHash(0, bytes, 0, bytes.length)), -1);
    const offset = table.allocate(recordHeaderBytes + bytes.length + value.length);
    if (offset === 0) break;
    table.writeRecord(offset, { namespaceId: 0, generation: 1, expiry: 0, lastModified: 0 }, runsOf(bytes, value));
    table.link(keyHash(0, bytes, 0, bytes.length), offset);
  }
  assert.ok(inserted > 100 && inserted < 10_000, `allocation stopped at the reservation after ${inserted}`);
  assert.ok(buffer.byteLength <= buffer.maxByteLength);
  assert.ok(lookup(table, 'big-0') > 0, 'records written before growth are still readable');
});

test('recount rebuilds stats from the index (what a restarted shard does)', () => {
  const table = new ShardTable(allocateTableBuffer(64 * 1024 * 1024));
  for (let i = 0; i < 500; i++) insert(table, `r${i}`, new Uint8Array(i));
  const records = table.namespaceRecords(0);
  const bytes = table.namespaceBytes(0);
  table.recount();
  assert.equal(table.namespaceRecords(0), records);
  assert.equal(table.namespaceBytes(0), bytes);
  assert.equal(table.indexLive, 500);
});

test('pages carved from retired index regions start clean', () => {
  const table = new ShardTable(allocateTableBuffer(256 * 1024 * 1024));
  // Grow the index several times (retiring regions), then fill pages that may land in them.
  for (let i = 0; i < 40_000; i++) insert(table, `grow-${i}`, new Uint8Array(8));
  for (let i = 0; i < 40_000; i++) insert(table, `fill-${i}`, new Uint8Array(200));
  for (let i = 0; i < 40_000; i += 13) assert.ok(lookup(table, `grow-${i}`) > 0 && lookup(table, `fill-${i}`) > 0);
  checkTable(table);
});

test('reserveIndexSlot(n) grows the index once ahead of a bulk load, keeping what it holds', () => {
  const table = new ShardTable(allocateTableBuffer(256 * 1024 * 1024));
  for (let index = 0; index < 100; index++) insert(table, `before${index}`, new Uint8Array(8));
  assert.equal(table.indexCapacity, 1 << indexCapacityLog2Min);
  assert.ok(table.reserveIndexSlot(100_000));
  assert.ok(table.indexCapacity * 0.75 >= 100_100, `capacity ${table.indexCapacity} holds 100,100 under the load bound`);
  assert.ok(table.indexCapacity <= 262_144, 'no bigger than the next power of two needs');
  const capacity = table.indexCapacity;
  assert.ok(table.reserveIndexSlot(1000), 'a reservation that fits changes nothing');
  assert.equal(table.indexCapacity, capacity);
  for (let index = 0; index < 100; index++) assert.notEqual(lookup(table, `before${index}`), 0, `before${index} kept`);
  checkTable(table);
});
