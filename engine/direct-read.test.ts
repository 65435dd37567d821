// The direct read (front/direct-read.ts) against a table written by its owner's code, each branch
// driven by editing the header, journal and record words the protocol reads: a hit, a miss, and
// every fallback (journal not applied, index epoch odd or moved, record mid-write, expired, value
// over the namespace limit, index entry outside the views, table not yet formatted).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DirectOutcome, DirectRead } from './front/direct-read';
import { OpRequest } from './front/op-request';
import { Opcode } from './layout/batch-layout';
import { ByteRuns } from './layout/byte-runs';
import { allocateControl, controlSlotClockOverrideMs } from './layout/control-layout';
import { keyHash } from './layout/hash';
import { allocateJournal, journalControlBytes, journalWordHead } from './layout/journal-layout';
import { Status } from './layout/status';
import {
  headerWordIndexEpoch,
  headerWordIndexLog2Capacity,
  headerWordIndexOffset8,
  headerWordJournalApplied,
  indexBase32,
  indexRecordWord,
  recordBytesOf,
  recordExpiryByte,
  recordValueLengthByte,
} from './layout/table-layout';
import { allocateTableBuffer, TableReader } from './layout/table-reader';
import type { NamespaceConfig } from './layout/types';
import { wordAt } from './layout/words';
import { ShardTable } from './shard/shard-table';

const encoder = new TextEncoder();
const namespace: NamespaceConfig = { name: 'content', mode: 'store', ack: 'memory', memoryLimitBytes: 1 << 30, defaultTtlSec: 0, maxKeyBytes: 1024, maxValueBytes: 1024 };

interface Fixture {
  owner: ShardTable;
  reader: TableReader;
  direct: DirectRead;
  journal: Int32Array;
  control: Float64Array;
  record: number;
  slot: number;
  read(key: string, opcode?: Opcode.Get | Opcode.Head): DirectOutcome;
}

/** A table with one record `k` = "value" (content type text/plain), written the owner's way. */
function fixture(): Fixture {
  const tableBuffer = allocateTableBuffer(64 * 1024 * 1024);
  const journalBuffer = allocateJournal(4096);
  const controlBuffer = allocateControl();
  const owner = new ShardTable(tableBuffer);
  const reader = new TableReader(tableBuffer);
  const key = encoder.encode('k');
  const contentType = encoder.encode('text/plain');
  const value = encoder.encode('value');
  const source = new Uint8Array(32);
  source.set(key, 0);
  source.set(contentType, key.length);
  source.set(value, key.length + contentType.length);
  const runs = new ByteRuns().from(source, new Uint32Array(source.buffer)).contiguous(0, key.length, contentType.length, value.length);
  const hash = keyHash(0, key, 0, key.length);
  const record = owner.allocate(recordBytesOf(key.length, contentType.length, value.length));
  owner.writeRecord(record, { namespaceId: 0, generation: 3, expiry: 0, lastModified: 1234 }, runs);
  owner.reserveIndexSlot();
  assert.equal(owner.find(0, key, 0, key.length, hash), -1);
  owner.link(hash, record);
  const slot = owner.find(0, key, 0, key.length, hash);
  const direct = new DirectRead(reader, journalBuffer, controlBuffer);
  const request = new OpRequest();
  const read = (text: string, opcode: Opcode.Get | Opcode.Head = Opcode.Get): DirectOutcome => {
    const bytes = encoder.encode(text);
    request.reset(opcode, 0, bytes, 0, bytes.length);
    return direct.read(request, keyHash(0, bytes, 0, bytes.length), namespace);
  };
  return { owner, reader, direct, journal: new Int32Array(journalBuffer, 0, journalControlBytes / 4), control: new Float64Array(controlBuffer), record, slot, read };
}

test('a stable record is a hit with its fields; a head carries no value; an absent key is a miss', () => {
  const f = fixture();
  assert.equal(f.read('k'), DirectOutcome.Hit);
  assert.equal(f.direct.status, Status.Ok);
  assert.equal(f.direct.generation, 3);
  assert.equal(f.direct.lastModified, 1234);
  assert.equal(f.direct.contentType(), 'text/plain');
  assert.equal(Buffer.from(f.direct.value()!).toString(), 'value');
  assert.equal(f.read('k', Opcode.Head), DirectOutcome.Hit);
  assert.equal(f.direct.value(), null);
  assert.equal(f.read('absent'), DirectOutcome.Miss);
  assert.equal(f.direct.reads, 3);
  assert.equal(f.direct.fallbacks, 0);
});

test('falls back while the journal holds changes the table has not applied', () => {
  const f = fixture();
  Atomics.store(f.journal, journalWordHead, 64);
  assert.equal(f.read('k'), DirectOutcome.FallBack);
  assert.equal(f.read('absent'), DirectOutcome.FallBack, 'a miss is no answer either');
  Atomics.store(f.owner.header, headerWordJournalApplied, 64);
  assert.equal(f.read('k'), DirectOutcome.Hit);
  assert.equal(f.direct.fallbacks, 2);
});

test('falls back while the index epoch is odd (a rehash publishing)', () => {
  const f = fixture();
  Atomics.add(f.owner.header, headerWordIndexEpoch, 1);
  assert.equal(f.read('k'), DirectOutcome.FallBack);
  assert.equal(f.read('absent'), DirectOutcome.FallBack);
  Atomics.add(f.owner.header, headerWordIndexEpoch, 1);
  assert.equal(f.read('k'), DirectOutcome.Hit);
});

test('falls back when the record is mid-write (odd version)', () => {
  const f = fixture();
  Atomics.add(f.owner.u32, wordAt(f.record), 1);
  assert.equal(f.read('k'), DirectOutcome.FallBack);
  Atomics.add(f.owner.u32, wordAt(f.record), 1);
  assert.equal(f.read('k'), DirectOutcome.Hit);
});

test('falls back for an expired record, so the owner removes it and logs `expired`', () => {
  const f = fixture();
  f.owner.u32[wordAt(f.record + recordExpiryByte)] = 1000;
  f.control[controlSlotClockOverrideMs] = 999_000;
  assert.equal(f.read('k'), DirectOutcome.Hit, 'one second before its expiry');
  f.control[controlSlotClockOverrideMs] = 1_000_000;
  assert.equal(f.read('k'), DirectOutcome.FallBack);
});

test('falls back when the value length passes the namespace limit (a torn or foreign record)', () => {
  const f = fixture();
  f.owner.u32[wordAt(f.record + recordValueLengthByte)] = namespace.maxValueBytes + 1;
  assert.equal(f.read('k'), DirectOutcome.FallBack);
});

test('falls back when an index entry points outside the views', () => {
  const f = fixture();
  const base = indexBase32(f.owner.header[headerWordIndexOffset8]!);
  const word = indexRecordWord(base, f.slot);
  const entry = f.owner.u32[word]!;
  f.owner.u32[word] = (f.owner.u8.length + 4096) / 8;
  assert.equal(f.read('k'), DirectOutcome.FallBack);
  f.owner.u32[word] = entry;
  assert.equal(f.read('k'), DirectOutcome.Hit);
});

test('falls back on a table no shard has formatted yet, and on a region past the views', () => {
  const buffer = allocateTableBuffer(64 * 1024 * 1024);
  const reader = new TableReader(buffer);
  const direct = new DirectRead(reader, allocateJournal(4096), allocateControl());
  const key = encoder.encode('k');
  const request = new OpRequest().reset(Opcode.Get, 0, key, 0, key.length);
  assert.equal(direct.read(request, keyHash(0, key, 0, key.length), namespace), DirectOutcome.FallBack);
  const f = fixture();
  f.owner.header[headerWordIndexLog2Capacity] = 30;
  assert.equal(f.read('k'), DirectOutcome.FallBack);
});
