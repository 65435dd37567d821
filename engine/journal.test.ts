import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteRuns } from './layout/byte-runs';
import { ChangeLog } from './front/change-log';
import { EntryKind, allocateJournal, entryBytesFor } from './layout/journal-layout';
import { JournalDrain } from './front/journal-drain';
import { JournalWriter } from './shard/journal-writer';
import type { Change } from './layout/types';

const encoder = new TextEncoder();

/** Appends key + value laid out in one padded source buffer, as the shard does from a batch. */
function appendEntry(writer: JournalWriter, generation: number, key: Uint8Array, value: Uint8Array): void {
  const source = new Uint8Array((key.length + value.length + 3) & ~3);
  source.set(key, 0);
  source.set(value, key.length);
  const runs = new ByteRuns().from(source, new Uint32Array(source.buffer)).contiguous(0, key.length, 0, value.length);
  writer.append({ kind: EntryKind.Put, namespaceId: 0, generation, expiry: 0, lastModified: generation }, runs);
}

test('entries wrap around the ring with pad entries and drain in order', () => {
  const buffer = allocateJournal(4096);
  const writer = new JournalWriter(buffer);
  const log = new ChangeLog(1024);
  const drain = new JournalDrain(buffer, log, ['content']);
  let written = 0;
  for (let round = 0; round < 200; round++) {
    const key = encoder.encode(`key-${round}`);
    const value = new Uint8Array(round % 300).fill(round & 0xff);
    // Fill until full, then drain: the ring must never accept an entry it cannot hold.
    if (!writer.hasRoomFor(key.length, 0, value.length)) {
      const before = log.lastLsn;
      drain.drain();
      assert.ok(log.lastLsn > before, 'a full ring drains something');
      assert.ok(writer.hasRoomFor(key.length, 0, value.length), 'an empty ring has room');
    }
    appendEntry(writer, round + 1, key, value);
    written++;
  }
  drain.drain();
  assert.equal(log.lastLsn, written);
  const changes = log.readFrom(log.oldestLsn - 1);
  assert.ok(Array.isArray(changes));
  for (const change of changes) {
    const round = change.generation - 1;
    assert.equal(Buffer.from(change.key).toString(), `key-${round}`);
    assert.equal(change.value?.length, round % 300);
    assert.ok(change.value?.every((byte) => byte === (round & 0xff)));
  }
});

test('hasRoomFor counts the pad an entry needs at the end of the ring', () => {
  const buffer = allocateJournal(4096);
  const writer = new JournalWriter(buffer);
  const drain = new JournalDrain(buffer, new ChangeLog(64), ['content']);
  const key = new Uint8Array(8);
  const big = new Uint8Array(3000);
  appendEntry(writer, 1, key, big);
  drain.drain();
  // Head is ~3 KiB in: a 2 KiB entry does not fit before the end, needs a pad, and fits after it.
  assert.ok(writer.hasRoomFor(8, 0, 2000));
  appendEntry(writer, 2, key, big.subarray(0, 2000));
  assert.equal(writer.head, 4096 + entryBytesFor(8, 0, 2000));
  assert.equal(writer.hasRoomFor(8, 0, 2000), false, 'no room until the consumer drains');
  drain.drain();
  // Any entry of at most half the ring fits an empty ring wherever the head is.
  assert.ok(writer.hasRoomFor(8, 0, 2048 - 40));
});

test('a listener sees each change whole during its drain; a change kept past its drain throws rather than read reused bytes', () => {
  const buffer = allocateJournal(4096);
  const writer = new JournalWriter(buffer);
  const log = new ChangeLog(64);
  const drain = new JournalDrain(buffer, log, ['content']);
  const heard: { key: string; value: number[] }[] = [];
  const kept: Change[] = [];
  log.subscribe((change) => {
    heard.push({ key: Buffer.from(change.key).toString(), value: [...(change.value ?? [])] });
    kept.push(change);
  });
  appendEntry(writer, 1, encoder.encode('first'), new Uint8Array([1, 2, 3]));
  appendEntry(writer, 2, encoder.encode('second'), new Uint8Array([4, 5]));
  drain.drain();
  appendEntry(writer, 3, encoder.encode('third'), new Uint8Array([6]));
  drain.drain();
  assert.deepEqual(heard, [
    { key: 'first', value: [1, 2, 3] },
    { key: 'second', value: [4, 5] },
    { key: 'third', value: [6] },
  ]);
  assert.throws(() => kept[0]?.key, /valid only while the change log calls its listeners/);
  assert.equal(Buffer.from(kept[2]!.key).toString(), 'third', 'the newest drain is still current');
  // The log's own copies are unaffected by the reuse.
  const read = log.readFrom(0);
  assert.ok(Array.isArray(read));
  assert.deepEqual(read.map((change) => Buffer.from(change.key).toString()), ['first', 'second', 'third']);
});

test('a listener that drains again is refused (the drain buffer would change under the loop)', () => {
  const buffer = allocateJournal(4096);
  const writer = new JournalWriter(buffer);
  const log = new ChangeLog(64);
  const drain = new JournalDrain(buffer, log, ['content']);
  log.subscribe(() => {
    drain.drain();
  });
  appendEntry(writer, 1, encoder.encode('k'), new Uint8Array([1]));
  assert.throws(() => drain.drain(), /re-entered/);
});
