// The incremental expiry sweep: examines a bounded number of index slots from a cursor kept in the
// table header, removing expired records (each a committed `expired` change). The front sends one
// sweep op per shard per tick; it answers with a sweep result of its own (slots examined, removed).

import { EntryKind } from '../layout/journal-layout';
import { headerWordSweepCursor, isRecordOffset } from '../layout/table-layout';
import type { ShardState } from './shard-state';

export function sweepShard(state: ShardState, slots: number): void {
  const table = state.table;
  const capacity = table.indexCapacity;
  const header = table.header;
  const toExamine = Math.min(slots, capacity);
  let slot = header[headerWordSweepCursor]! & (capacity - 1);
  let examined = 0;
  let removed = 0;
  for (; examined < toExamine; examined++) {
    const record = table.slotRecord(slot);
    if (isRecordOffset(record) && state.isExpired(record)) {
      if (!state.hasRoomForKeyChange(record)) break;
      // The removal may empty this slot but moves no entry: carry on from the next one.
      state.countRemoval(record, EntryKind.Expired);
      state.removeCommitted(slot, record, EntryKind.Expired);
      removed++;
    }
    slot = (slot + 1) & (capacity - 1);
  }
  header[headerWordSweepCursor] = slot;
  state.results.writeSweep(examined, removed);
}
