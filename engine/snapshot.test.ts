// Snapshots: the writer (directly over the fault layer, and through its real worker) and the reader,
// which takes the newest COMPLETE snapshot and falls back past a damaged or unfinished one.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { snapshotFileName } from './layout/snapshot-format';
import { FaultFileLayer } from './layout/fault-file-layer';
import { SnapshotWriter } from './wal/snapshot-writer';
import { randomBytes, seededRandom, testSeed } from './layout/wal.fixture';
import { SnapshotClient, SnapshotFailure } from './front/snapshot-client';
import { SnapshotReader, interleavedOrder } from './front/snapshot-reader';
import { tempDirMaker } from './layout/temp-dirs.fixture';

const historyId = new Uint8Array(16).fill(4);
const newTempDir = tempDirMaker('tessera-snap-');

function tempDir(): string {
  const directory = newTempDir();
  return path.join(directory, 'snapshots');
}

function randomChunks(seed: number, count: number): { bytes: Uint8Array; records: number }[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => ({ bytes: randomBytes(random, (random() * 70_000) | 0), records: 1 + ((random() * 500) | 0) }));
}

function readAll(reader: SnapshotReader): { startLsn: number; chunks: { bytes: Uint8Array; records: number }[] } | null {
  const info = reader.findNewest();
  if (info === null) return null;
  const chunks: { bytes: Uint8Array; records: number }[] = [];
  // Each chunk's bytes are a view into a reused buffer: copy before reading the next.
  for (const chunk of reader.chunks(info)) chunks.push({ bytes: chunk.bytes.slice(), records: chunk.records });
  return { startLsn: info.startLsn, chunks };
}

test('SnapshotClient (real worker): round trip, keeps the newest 2, falls back past a damaged one', async () => {
  const seed = testSeed();
  console.log(`seed ${seed}`);
  const directory = tempDir();
  const client = await SnapshotClient.open({ snapshotDirectory: directory });
  const written = new Map<number, { bytes: Uint8Array; records: number }[]>();
  for (const startLsn of [100, 200, 300]) {
    const chunks = randomChunks(seed + startLsn, 12);
    written.set(startLsn, chunks);
    client.begin({ historyId, startLsn, namespaces: ['content', 'cache'] });
    for (const chunk of chunks) client.addChunk(chunk.bytes.slice(), chunk.records);
    const result = await client.finish();
    assert.equal(result.path, path.join(directory, snapshotFileName(startLsn)));
    assert.equal(result.records, chunks.reduce((sum, chunk) => sum + chunk.records, 0));
    assert.equal(result.bytes, fs.statSync(result.path).size);
  }
  assert.deepEqual(fs.readdirSync(directory).sort(), [snapshotFileName(200), snapshotFileName(300)], 'only the newest 2 kept');

  const newest = readAll(new SnapshotReader({ snapshotDirectory: directory, historyId }))!;
  assert.equal(newest.startLsn, 300);
  assert.deepEqual(newest.chunks, written.get(300));

  // A flipped bit deep inside the newest: the reader reports it and falls back to 200.
  const newestPath = path.join(directory, snapshotFileName(300));
  const bytes = fs.readFileSync(newestPath);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
  fs.writeFileSync(newestPath, bytes);
  const reader = new SnapshotReader({ snapshotDirectory: directory, historyId });
  const fallback = readAll(reader)!;
  assert.equal(fallback.startLsn, 200);
  assert.deepEqual(fallback.chunks, written.get(200));
  assert.equal(reader.rejected.length, 1);
  assert.match(reader.rejected[0]!.reason, /checksum|length/);

  // Chunks that are views into a larger buffer or into shared memory are copied, not detached.
  const shared = new Uint8Array(new SharedArrayBuffer(64)).fill(3);
  const larger = new Uint8Array(100).fill(5);
  client.begin({ historyId, startLsn: 350, namespaces: ['content'] });
  client.addChunk(shared, 1);
  client.addChunk(larger.subarray(10, 30), 2);
  client.addChunk(Buffer.from('pooled'), 3);
  await client.finish();
  assert.equal(larger.byteLength, 100, 'the larger buffer was not detached');
  const mixed = readAll(new SnapshotReader({ snapshotDirectory: directory, historyId }))!;
  assert.equal(mixed.startLsn, 350);
  assert.deepEqual(mixed.chunks.map((chunk) => chunk.bytes.length), [64, 20, 6]);

  // An aborted snapshot leaves nothing behind.
  client.begin({ historyId, startLsn: 400, namespaces: ['content'] });
  client.addChunk(new Uint8Array(100), 1);
  await client.abort();
  assert.equal(fs.readdirSync(directory).some((name) => name.includes('400') || name.endsWith('.tmp')), false);
  await client.close();
});

test('a snapshot cut short (no footer) or of another history is never chosen', () => {
  const layer = new FaultFileLayer();
  const directory = '/data/snapshots';
  const writer = new SnapshotWriter(layer, directory);
  const chunks = randomChunks(3, 5);
  writer.begin({ historyId, startLsn: 10, namespaces: ['content'] });
  for (const chunk of chunks) writer.addChunk(chunk.bytes, chunk.records);
  writer.finish();
  // Make a second one and cut its file before the footer (as a truncated copy would be).
  writer.begin({ historyId, startLsn: 20, namespaces: ['content'] });
  for (const chunk of chunks) writer.addChunk(chunk.bytes, chunk.records);
  const result = writer.finish();
  const fd = layer.openReadWrite(result.path);
  layer.truncate(fd, result.bytes - 10);
  layer.close(fd);
  const reader = new SnapshotReader({ snapshotDirectory: directory, historyId, files: layer });
  assert.equal(readAll(reader)!.startLsn, 10);
  assert.match(reader.rejected[0]!.reason, /footer|incomplete/);
  const stranger = new SnapshotReader({ snapshotDirectory: directory, historyId: new Uint8Array(16), files: layer });
  assert.equal(stranger.findNewest(), null);
  assert.equal(stranger.rejected.length, 2);
});

test('a crash before the rename leaves no snapshot; a crash after finish keeps it whole', () => {
  const layer = new FaultFileLayer();
  const directory = '/data/snapshots';
  const writer = new SnapshotWriter(layer, directory);
  const chunks = randomChunks(4, 4);
  writer.begin({ historyId, startLsn: 5, namespaces: ['content'] });
  for (const chunk of chunks) writer.addChunk(chunk.bytes, chunk.records);
  writer.finish();
  writer.begin({ historyId, startLsn: 6, namespaces: ['content'] });
  for (const chunk of chunks) writer.addChunk(chunk.bytes, chunk.records);
  layer.crash();
  const reader = new SnapshotReader({ snapshotDirectory: directory, historyId, files: layer });
  const found = readAll(reader)!;
  assert.equal(found.startLsn, 5);
  assert.deepEqual(found.chunks, chunks);
  assert.deepEqual(layer.list(directory), [snapshotFileName(5)], 'the unfinished temp file did not survive');
});

test('ENOSPC while writing a snapshot: finish fails, no snapshot under the final name', () => {
  const layer = new FaultFileLayer();
  const directory = '/data/snapshots';
  const writer = new SnapshotWriter(layer, directory);
  writer.begin({ historyId, startLsn: 9, namespaces: ['content'] });
  layer.failWritesAfter(50_000);
  const chunks = randomChunks(5, 10);
  assert.throws(() => {
    for (const chunk of chunks) writer.addChunk(chunk.bytes, chunk.records);
  }, /ENOSPC/);
  writer.abort();
  assert.deepEqual(layer.list(directory), []);
  assert.equal(new SnapshotReader({ snapshotDirectory: directory, files: layer }).findNewest(), null);
});

test('SnapshotClient reports a write failure from finish', async () => {
  const directory = tempDir();
  // A non-empty directory squats on the final name: the rename at finish fails.
  fs.mkdirSync(path.join(directory, snapshotFileName(1), 'squatter'), { recursive: true });
  const client = await SnapshotClient.open({ snapshotDirectory: directory });
  client.begin({ historyId, startLsn: 1, namespaces: ['content'] });
  client.addChunk(new Uint8Array(64), 1);
  await assert.rejects(client.finish(), SnapshotFailure);
  assert.equal(fs.readdirSync(directory).some((name) => name.endsWith('.tmp')), false, 'the temp file was removed');
  await client.close();
});

test('chunks in lanes: every chunk once, in lane order; a chunk changed after verification throws', async () => {
  assert.deepEqual(interleavedOrder(5, 2), [0, 3, 1, 4, 2]);
  assert.deepEqual(interleavedOrder(7, 3), [0, 2, 5, 1, 3, 6, 4]);
  assert.deepEqual(interleavedOrder(4, 1), [0, 1, 2, 3]);
  assert.deepEqual(interleavedOrder(2, 4), [0, 1]);
  assert.deepEqual(interleavedOrder(0, 2), []);
  for (let count = 0; count < 40; count++) {
    for (let lanes = 1; lanes < 6; lanes++) assert.deepEqual([...interleavedOrder(count, lanes)].sort((a, b) => a - b), Array.from({ length: count }, (_, index) => index));
  }
  const directory = tempDir();
  const client = await SnapshotClient.open({ snapshotDirectory: directory });
  const written = randomChunks(testSeed(), 9);
  client.begin({ historyId, startLsn: 10, namespaces: ['content'] });
  for (const chunk of written) client.addChunk(chunk.bytes.slice(), chunk.records);
  await client.finish();
  await client.close();
  const reader = new SnapshotReader({ snapshotDirectory: directory, historyId });
  const info = reader.findNewest()!;
  const laned: { bytes: Uint8Array; records: number }[] = [];
  // Each chunk's bytes are a view into a reused buffer: copy before reading the next.
  for (const chunk of reader.chunks(info, 3)) laned.push({ bytes: chunk.bytes.slice(), records: chunk.records });
  assert.deepEqual(laned, interleavedOrder(9, 3).map((index) => written[index]));
  // A byte of the last chunk changes between findNewest() and chunks(): nothing wrong is yielded.
  const filePath = path.join(directory, snapshotFileName(10));
  const bytes = fs.readFileSync(filePath);
  bytes[info.chunkOffsets[8]! + 40]! ^= 0x01;
  fs.writeFileSync(filePath, bytes);
  const seen: number[] = [];
  assert.throws(() => {
    for (const chunk of reader.chunks(info)) seen.push(chunk.records);
  }, /checksum|changed/);
  assert.deepEqual(seen, written.slice(0, 8).map((chunk) => chunk.records));
});
