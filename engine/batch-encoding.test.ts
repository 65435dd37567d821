// The front<->shard batch encoding (layout/batch-layout.ts), round-tripped between the writers of
// one side and the readers of the other, with seeded random ops at the maximum widths of every
// field: namespace id 255, key 16 KiB (u16), content type 255 bytes (u8), values past 64 KiB (u32),
// generations and hashes up to 2^32 - 1, ttl -1 and up to ttlSecMax.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OpRequest } from './front/op-request';
import { OpWriter, type ScanSliceRequest } from './front/op-writer';
import { ResultReader } from './front/result-reader';
import { parseScanSlice } from './front/scan-merge';
import { sweepRecordsRemoved } from './front/result-collectors';
import {
  controlOpArgumentByte,
  keyOpBytes,
  opBytesByte,
  Opcode,
  opOpcodeByte,
  PutModeCode,
  resultFlagCreated,
  scanFlagAfterWholeHash,
  scanFlagHasAfter,
  scanFlagValues,
  scanOpBytes,
  type ControlOpcode,
  type KeyOpcode,
} from './layout/batch-layout';
import { ByteRuns } from './layout/byte-runs';
import { contentTypeBytesMax, keyBytesMaxHard, namespacesMax, ttlSecMax } from './layout/limits';
import { SeededRandom, testSeed } from './layout/seeded-random';
import { Status } from './layout/status';
import { recordBytesOf } from './layout/table-layout';
import { allocateTableBuffer } from './layout/table-reader';
import { KeyOp } from './shard/key-op';
import { ResultWriter } from './shard/result-writer';
import { ScanArgs } from './shard/shard-scan';
import { ShardTable } from './shard/shard-table';

const keyOpcodes: readonly KeyOpcode[] = [Opcode.Get, Opcode.Head, Opcode.Put, Opcode.Delete, Opcode.Touch];
const valueBytesMaxTested = 70_000;

/** A length that is often 0 or the maximum, else anywhere between. */
function width(random: SeededRandom, max: number): number {
  const draw = random.below(4);
  return draw === 0 ? 0 : draw === 1 ? max : random.below(max + 1);
}

function randomRequest(random: SeededRandom): OpRequest {
  const opcode = random.pick(keyOpcodes);
  const keyLength = Math.max(1, width(random, keyBytesMaxHard));
  const request = new OpRequest().reset(opcode, width(random, namespacesMax), random.bytes(keyLength + 8), 8, keyLength);
  request.putMode = random.pick([PutModeCode.Upsert, PutModeCode.Create, PutModeCode.Update]);
  request.ifGeneration = random.pick([0, 1, 0xffffffff, random.nextUint32()]);
  request.ttlSec = random.pick([-1, 0, ttlSecMax, random.below(ttlSecMax)]);
  if (opcode === Opcode.Put) {
    request.contentType = random.bytes(width(random, contentTypeBytesMax));
    request.value = random.bytes(width(random, valueBytesMaxTested));
  }
  return request;
}

test('key, scan and control ops round-trip through OpWriter and the shard readers at maximum widths', () => {
  const seed = testSeed();
  const random = new SeededRandom(seed);
  for (let batch = 0; batch < 20; batch++) {
    const writer = new OpWriter();
    const written: (OpRequest & { hash: number } | ScanSliceRequest | { opcode: number; argument: number })[] = [];
    const count = 1 + random.below(12);
    for (let i = 0; i < count; i++) {
      const kind = random.below(5);
      if (kind <= 2) {
        const request = randomRequest(random);
        const hash = random.pick([0, 0xffffffff, random.nextUint32()]);
        writer.writeKeyOp(request, hash);
        written.push(Object.assign(request, { hash }));
      } else if (kind === 3) {
        const scan: ScanSliceRequest = {
          namespaceId: width(random, namespacesMax),
          prefix: random.bytes(width(random, keyBytesMaxHard)),
          limit: random.pick([1, 1000, random.nextUint32()]),
          flags: random.below(8) & (scanFlagValues | scanFlagHasAfter | scanFlagAfterWholeHash),
          afterHash: random.pick([0, 0xffffffff, random.nextUint32()]),
          afterKey: random.bytes(width(random, keyBytesMaxHard)),
        };
        writer.writeScan(scan);
        written.push(scan);
      } else {
        const control = { opcode: random.pick<ControlOpcode>([Opcode.Sweep, Opcode.TestCrash]), argument: random.pick([0, 0xffffffff, random.nextUint32()]) };
        writer.writeControl(control.opcode, control.argument);
        written.push(control);
      }
    }
    assert.equal(writer.count, count);
    const buffer = writer.take();
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    let position = 0;
    for (const expected of written) {
      const opBytes = view.getUint32(position + opBytesByte, true);
      assert.equal(opBytes % 4, 0, `seed ${seed}: ops are 4-aligned`);
      if (expected instanceof OpRequest) {
        const op = new KeyOp().read(bytes, view, position);
        const contentTypeLength = expected.contentType?.length ?? 0;
        const valueLength = expected.value?.length ?? 0;
        assert.equal(opBytes, keyOpBytes(expected.keyLength, contentTypeLength, valueLength));
        assert.deepEqual(
          [op.opcode, op.namespaceId, op.putMode, op.keyLength, op.contentTypeLength, op.valueLength, op.hash],
          [expected.opcode, expected.namespaceId, expected.putMode, expected.keyLength, contentTypeLength, valueLength, expected.hash],
          `seed ${seed}: key op fields`,
        );
        // The write fields travel in every key op; the shard reads them for writes only.
        if (expected.opcode !== Opcode.Get && expected.opcode !== Opcode.Head) {
          assert.deepEqual([op.ifGeneration, op.ttlSec], [expected.ifGeneration, expected.ttlSec], `seed ${seed}: write fields`);
        }
        const runs = bytes.subarray(op.keyStart, op.keyStart + op.keyLength + contentTypeLength + valueLength);
        const want = new Uint8Array(runs.length);
        want.set(expected.keySource.subarray(expected.keyStart, expected.keyStart + expected.keyLength), 0);
        if (expected.contentType !== null) want.set(expected.contentType, expected.keyLength);
        if (expected.value !== null) want.set(expected.value, expected.keyLength + contentTypeLength);
        assert.ok(Buffer.from(runs).equals(Buffer.from(want)), `seed ${seed}: key, content type and value bytes`);
      } else if ('prefix' in expected) {
        const scan = new ScanArgs().read(bytes, view, position);
        assert.equal(bytes[position + opOpcodeByte], Opcode.Scan);
        assert.equal(opBytes, scanOpBytes(expected.prefix.length, expected.afterKey.length));
        assert.deepEqual(
          [scan.namespaceId, scan.flags, scan.limit, scan.afterHash, scan.prefixLength, scan.afterKeyLength],
          [expected.namespaceId, expected.flags, expected.limit >>> 0, expected.afterHash, expected.prefix.length, expected.afterKey.length],
          `seed ${seed}: scan op fields`,
        );
        assert.ok(Buffer.from(bytes.subarray(scan.prefixStart, scan.prefixStart + scan.prefixLength)).equals(Buffer.from(expected.prefix)));
        assert.ok(Buffer.from(bytes.subarray(scan.afterKeyStart, scan.afterKeyStart + scan.afterKeyLength)).equals(Buffer.from(expected.afterKey)));
      } else {
        assert.equal(bytes[position + opOpcodeByte], expected.opcode);
        assert.equal(view.getUint32(position + controlOpArgumentByte, true), expected.argument);
      }
      position += opBytes;
    }
    assert.equal(position, buffer.byteLength, `seed ${seed}: the batch ends after its last op`);
  }
});

test('a key op too wide for its fields fails loudly instead of being truncated', () => {
  const writer = new OpWriter();
  const request = new OpRequest().reset(Opcode.Get, namespacesMax + 1, new Uint8Array(4), 0, 4);
  assert.throws(() => writer.writeKeyOp(request, 0), /invariant broken/);
  const wideKey = new OpRequest().reset(Opcode.Get, 0, new Uint8Array(0x10000), 0, 0x10000);
  assert.throws(() => new OpWriter().writeKeyOp(wideKey, 0), /invariant broken/);
});

test('results round-trip through ResultWriter and ResultReader at maximum widths', () => {
  const seed = testSeed();
  const random = new SeededRandom(seed);
  const table = new ShardTable(allocateTableBuffer(64 * 1024 * 1024));
  const records: { offset: number; generation: number; expiry: number; lastModified: number; contentType: Uint8Array; value: Uint8Array; key: Uint8Array }[] = [];
  for (let i = 0; i < 12; i++) {
    const key = random.bytes(Math.max(1, width(random, keyBytesMaxHard)));
    const contentType = random.bytes(width(random, contentTypeBytesMax));
    const value = random.bytes(width(random, valueBytesMaxTested));
    const source = new Uint8Array((key.length + contentType.length + value.length + 3) & ~3);
    source.set(key, 0);
    source.set(contentType, key.length);
    source.set(value, key.length + contentType.length);
    const runs = new ByteRuns().from(source, new Uint32Array(source.buffer)).contiguous(0, key.length, contentType.length, value.length);
    const offset = table.allocate(recordBytesOf(key.length, contentType.length, value.length));
    const fields = { namespaceId: namespacesMax, generation: random.pick([1, 0xffffffff, random.nextUint32()]), expiry: random.pick([0, 0xffffffff]), lastModified: random.pick([0, 2 ** 52, Date.now() + 0.5]) };
    table.writeRecord(offset, fields, runs);
    records.push({ offset, ...fields, contentType, value, key });
  }
  const writer = new ResultWriter();
  const flagsOf = (i: number): number => (i % 3 === 0 ? resultFlagCreated : 0);
  records.forEach((record, i) => writer.writeRecord(Status.Ok, flagsOf(i), table, record.offset, i % 2 === 0));
  writer.writeStatus(Status.GenerationMismatch);
  writer.writeSweep(0xffffffff, 12345);
  const reader = new ResultReader(writer.take());
  records.forEach((record, i) => {
    assert.deepEqual(
      [reader.status, reader.flags & resultFlagCreated, reader.generation, reader.expiry, reader.lastModified, reader.hasValue],
      [Status.Ok, flagsOf(i), record.generation, record.expiry, record.lastModified, i % 2 === 0],
      `seed ${seed}: result ${i} fields`,
    );
    assert.equal(reader.contentTypeLength, record.contentType.length);
    assert.ok(Buffer.from(reader.bytes.subarray(reader.position + 24, reader.position + 24 + reader.contentTypeLength)).equals(Buffer.from(record.contentType)));
    if (i % 2 === 0) assert.ok(Buffer.from(reader.value()!).equals(Buffer.from(record.value)), `seed ${seed}: value ${i}`);
    else assert.equal(reader.value(), null);
    reader.next();
  });
  assert.equal(reader.status, Status.GenerationMismatch);
  assert.equal(reader.generation, 0);
  reader.next();
  assert.equal(sweepRecordsRemoved(reader), 12345);
  reader.next();
  assert.equal(reader.position, reader.bytes.byteLength);
});

test('scan results round-trip through the scan writer and parseScanSlice', () => {
  const table = new ShardTable(allocateTableBuffer(64 * 1024 * 1024));
  const key = new Uint8Array(keyBytesMaxHard).fill(0x61);
  const contentType = new Uint8Array(contentTypeBytesMax).fill(0x62);
  const value = new Uint8Array(valueBytesMaxTested).fill(0x63);
  const source = new Uint8Array((key.length + contentType.length + value.length + 3) & ~3);
  source.set(key, 0);
  source.set(contentType, key.length);
  source.set(value, key.length + contentType.length);
  const runs = new ByteRuns().from(source, new Uint32Array(source.buffer)).contiguous(0, key.length, contentType.length, value.length);
  const offset = table.allocate(recordBytesOf(key.length, contentType.length, value.length));
  table.writeRecord(offset, { namespaceId: 7, generation: 0xffffffff, expiry: 0xfffffffe, lastModified: 2 ** 52 }, runs);
  table.reserveIndexSlot();
  assert.equal(table.find(7, key, 0, key.length, 0xffffffff), -1);
  table.link(0xffffffff, offset);
  const slot = table.find(7, key, 0, key.length, 0xffffffff);
  const writer = new ResultWriter();
  const start = writer.beginScan();
  writer.writeScanRecord(table, slot, offset, true);
  writer.writeScanRecord(table, slot, offset, false);
  writer.finishScan(start, 0, 2, 0xffffffff);
  const reader = new ResultReader(writer.take());
  const slice = parseScanSlice(reader.valueView());
  assert.equal(slice.records.length, 2);
  const [withValue, without] = slice.records;
  assert.equal(withValue!.hash, 0xffffffff);
  assert.equal(withValue!.generation, 0xffffffff);
  assert.equal(withValue!.expiry, 0xfffffffe);
  assert.equal(withValue!.lastModified, 2 ** 52);
  assert.ok(Buffer.from(withValue!.key).equals(Buffer.from(key)));
  assert.equal(withValue!.contentType, 'b'.repeat(contentTypeBytesMax));
  assert.ok(Buffer.from(withValue!.value!).equals(Buffer.from(value)));
  assert.equal(without!.value, null);
  assert.deepEqual(slice.boundary, { hash: 0xffffffff, key: null });
});
