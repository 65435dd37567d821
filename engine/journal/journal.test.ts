import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeLog } from '../change-log';
import { EntryKind, allocateJournal, entryBytesFor } from './journal-layout';
import { JournalDrain } from './journal-drain';
import { JournalWriter } from './journal-writer';

const encoder = new TextEncoder();
const empty = new Uint8Array(0);

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
    writer.append({ kind: EntryKind.Put, namespaceId: 0, generation: round + 1, expiry: 0, lastModified: round }, key, 0, key.length, empty, 0, 0, value, 0, value.length);
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
  writer.append({ kind: EntryKind.Put, namespaceId: 0, generation: 1, expiry: 0, lastModified: 0 }, key, 0, 8, empty, 0, 0, big, 0, big.length);
  drain.drain();
  // Head is ~3 KiB in: a 2 KiB entry does not fit before the end, needs a pad, and fits after it.
  assert.ok(writer.hasRoomFor(8, 0, 2000));
  writer.append({ kind: EntryKind.Put, namespaceId: 0, generation: 2, expiry: 0, lastModified: 0 }, key, 0, 8, empty, 0, 0, big, 0, 2000);
  assert.equal(writer.head, 4096 + entryBytesFor(8, 0, 2000));
  assert.equal(writer.hasRoomFor(8, 0, 2000), false, 'no room until the consumer drains');
  drain.drain();
  // Any entry of at most half the ring fits an empty ring wherever the head is.
  assert.ok(writer.hasRoomFor(8, 0, 2048 - 40));
});
