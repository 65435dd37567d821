// Eviction for cache namespaces: when a write would pass the namespace's budget, evict sampled
// approximately-least-recently-used records of that namespace until it fits (Redis's sampled LRU;
// Redis samples 5). Each eviction is a committed `evicted` change, like any removal.

import { assert } from '../layout/assert';
import { EntryKind } from '../layout/journal-layout';
import { isRecordOffset } from '../layout/table-layout';
import type { ShardState } from './shard-state';

/** Candidates sampled per eviction; the least recently used of them goes. */
export const evictionSamples = 5;
/** Index slots one sample walks at most to find a record of the namespace. */
export const evictionProbeSlots = 64;
/** Evictions one write may cause at most before it gives up (a bound, never reached in practice). */
export const evictionsPerWriteMax = 1_000_000;

/** What a write asks of the eviction: room for `growthBytes` more in the namespace, sparing one slot. */
export interface EvictionRequest {
  namespaceId: number;
  growthBytes: number;
  budgetBytes: number;
  /** The slot of the record being replaced (never evicted for its own replacement), or -1. */
  protectedSlot: number;
}

/** Evicts until the request fits. False when nothing evictable is left or the journal is full. */
export function evictFor(state: ShardState, request: EvictionRequest): boolean {
  const table = state.table;
  for (let evictions = 0; table.namespaceBytes(request.namespaceId) + request.growthBytes > request.budgetBytes; evictions++) {
    assert(evictions < evictionsPerWriteMax, 'eviction made no progress');
    const victim = sampleVictim(state, request.namespaceId, request.protectedSlot);
    if (victim < 0) return false;
    const record = table.slotRecord(victim);
    if (!state.hasRoomForKeyChange(record)) return false;
    state.countRemoval(record, EntryKind.Evicted);
    state.removeCommitted(victim, record, EntryKind.Evicted);
  }
  return true;
}

function sampleVictim(state: ShardState, namespaceId: number, protectedSlot: number): number {
  const table = state.table;
  const capacity = table.indexCapacity;
  const clock = table.nextAccessStamp();
  let best = -1;
  let bestAge = -1;
  for (let sample = 0; sample < evictionSamples; sample++) {
    let slot = Math.floor(Math.random() * capacity);
    for (let probe = 0; probe < evictionProbeSlots; probe++, slot = (slot + 1) & (capacity - 1)) {
      const record = table.slotRecord(slot);
      if (!isRecordOffset(record) || slot === protectedSlot || table.recordNamespaceId(record) !== namespaceId) continue;
      const age = (clock - table.recordLruStamp(record)) >>> 0;
      if (age > bestAge) {
        best = slot;
        bestAge = age;
      }
      break;
    }
  }
  if (best >= 0 || table.namespaceRecords(namespaceId) === 0) return best;
  // Sparse namespace: sampling missed; walk the index for any record of it.
  for (let slot = 0; slot < capacity; slot++) {
    const record = table.slotRecord(slot);
    if (isRecordOffset(record) && slot !== protectedSlot && table.recordNamespaceId(record) === namespaceId) return slot;
  }
  return -1;
}
