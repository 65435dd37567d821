// Attach-time check and replay (invariant 2): a shard thread that starts on memory a dead
// predecessor left re-counts and checks the table, then re-applies every journal entry after
// `journalApplied`: the changes that were committed (appended) but not yet applied to the index.
// Replay is idempotent by generation, so an entry that did reach the index is skipped.

import { assert, fail } from '../layout/assert';
import { keyHash } from '../layout/hash';
import type { JournalEntryReader } from '../layout/journal-entry-reader';
import { EntryKind } from '../layout/journal-layout';
import { isRecordOffset, recordBytesOf } from '../layout/table-layout';
import type { ShardState } from './shard-state';
import { checkTable } from './table-check';

/** Returns how many journal entries were re-applied. */
export function recoverShard(state: ShardState): number {
  const table = state.table;
  table.recount();
  checkTable(table);
  observeStamps(state);
  const entries = state.entries;
  const head = state.journal.head;
  const capacity = state.journal.capacity;
  let position = table.journalApplied;
  let replayed = 0;
  for (let walked = 0; position !== head; ) {
    const next = entries.step(position);
    walked += (next - position) >>> 0;
    assert(walked <= capacity, 'journal replay walked past the ring');
    if (entries.kind !== EntryKind.Pad) {
      redo(state, entries);
      replayed++;
    }
    position = next;
    table.journalApplied = position;
  }
  return replayed;
}

/** A thread attached to a predecessor's table continues its stamps from the largest one there. */
function observeStamps(state: ShardState): void {
  const table = state.table;
  const capacity = table.indexCapacity;
  for (let slot = 0; slot < capacity; slot++) {
    const record = table.slotRecord(slot);
    if (isRecordOffset(record)) state.stamps.observe(table.recordLastModified(record));
  }
}

/** Re-applies one committed change if the index does not show it yet. */
function redo(state: ShardState, entry: JournalEntryReader): void {
  const table = state.table;
  const namespaceId = entry.namespaceId;
  const runs = state.runs.from(entry.u8, entry.u32).contiguous(entry.keyStart, entry.keyLength, entry.contentTypeLength, entry.valueLength);
  const hash = keyHash(namespaceId, runs.u8, runs.keyStart, runs.keyLength);
  assert(table.reserveIndexSlot(), 'replay: no memory for the index');
  const slot = table.find(namespaceId, runs.u8, runs.keyStart, runs.keyLength, hash);
  const record = slot >= 0 ? table.slotRecord(slot) : 0;
  const generation = entry.generation;
  state.stamps.observe(entry.lastModified);
  switch (entry.kind) {
    case EntryKind.Put: {
      if (record !== 0 && table.recordGeneration(record) >= generation) return;
      const offset = table.allocate(recordBytesOf(runs.keyLength, runs.contentTypeLength, runs.valueLength));
      assert(offset !== 0, 'replay: no memory for a committed put');
      const fields = state.fields;
      fields.namespaceId = namespaceId;
      fields.generation = generation;
      fields.expiry = entry.expiry;
      fields.lastModified = entry.lastModified;
      table.writeRecord(offset, fields, runs);
      if (record !== 0) table.swap(slot, record, offset);
      else table.link(hash, offset);
      return;
    }
    case EntryKind.Touch:
      if (record !== 0 && table.recordGeneration(record) === generation) table.setExpiry(record, entry.expiry);
      return;
    case EntryKind.Delete:
    case EntryKind.Expired:
    case EntryKind.Evicted:
      if (record !== 0 && table.recordGeneration(record) === generation) table.unlink(slot, record);
      return;
    default:
      fail(`journal entry of unknown kind ${entry.kind}`);
  }
}
