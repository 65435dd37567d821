// Applies a change made elsewhere (the WAL at recovery; later a primary's stream) as it is: the
// record ends up with exactly the change's generation, expiry and lastModified, whatever the table
// held before, so replaying a log over a fuzzy snapshot converges on the logged state (each change
// is absolute: a put sets the whole record, a removal removes, a touch sets the expiry).
//
// Differences from the client ops, and why:
// - no lazy expiry on the way (that would log an `expired` change of our own, with a new LSN, in
//   the middle of a replay whose LSNs are given). A put whose expiry has already passed is applied
//   as logged all the same: a later touch in the log may extend it (a sliding TTL), and a touch
//   carries no value. What is expired stays invisible (reads and scans check expiry) and the
//   sweep removes it once the node serves, logging `expired` as for any record: nothing expired
//   is resurrected;
// - no eviction: the replayed log already holds the evictions the namespace made. A change that
//   does not fit answers OutOfMemory, and the recovery counts and reports it;
// - every change is journaled with entryFlagReplayed, so the drain consumes it without giving it a
//   second LSN (the applier appends the original change, with its LSN, itself).

import { entryFlagReplayed, EntryKind } from '../layout/journal-layout';
import { classOf, classSizes } from '../layout/size-classes';
import { Status } from '../layout/status';
import { recordBytesOf } from '../layout/table-layout';
import type { ApplyOp } from './apply-op';
import type { ShardState } from './shard-state';

export function applyChange(state: ShardState, op: ApplyOp, bytes: Uint8Array, words: Uint32Array): void {
  const results = state.results;
  const namespace = state.namespaces[op.namespaceId];
  if (namespace === undefined) return results.writeStatus(Status.UnknownNamespace);
  // Every applied change, removals included, raises the floor of this shard's own stamps.
  state.stamps.observe(op.lastModified);
  const table = state.table;
  const kind = op.kind;
  if (kind === EntryKind.Put) return applyPut(state, op, bytes, words);
  const slot = table.find(op.namespaceId, bytes, op.keyStart, op.keyLength, op.hash);
  if (slot < 0) return results.writeStatus(Status.NotFound);
  const record = table.slotRecord(slot);
  if (!state.hasRoomForKeyChange(record)) return results.writeStatus(Status.Busy);
  if (kind === EntryKind.Touch) {
    const fields = state.fieldsOf(EntryKind.Touch, record);
    fields.expiry = op.expiry;
    state.commit(fields, state.keyRunsOf(record), entryFlagReplayed);
    table.setExpiry(record, op.expiry);
    state.markApplied();
    return results.writeStatus(Status.Ok);
  }
  // delete, expired, evicted.
  state.removeCommitted(slot, record, kind, entryFlagReplayed);
  return results.writeStatus(Status.Ok);
}

/** The fields of a put to apply as it is: an apply op's, or a snapshot record's (shard-apply-records.ts). */
export interface PutFields {
  namespaceId: number;
  keyStart: number;
  keyLength: number;
  contentTypeLength: number;
  valueLength: number;
  readonly tagsStart: number;
  tagsLength: number;
  generation: number;
  expiry: number;
  lastModified: number;
  hash: number;
}

function applyPut(state: ShardState, op: ApplyOp, bytes: Uint8Array, words: Uint32Array): void {
  state.results.writeStatus(putAsIs(state, op, bytes, words));
}

/** Sets the record to exactly the put's fields (key, content type and value back to back in `bytes`). */
export function putAsIs(state: ShardState, op: PutFields, bytes: Uint8Array, words: Uint32Array): Status {
  const table = state.table;
  const namespace = state.namespaces[op.namespaceId]!;
  if (!table.reserveIndexSlot()) return Status.OutOfMemory;
  const slot = table.find(op.namespaceId, bytes, op.keyStart, op.keyLength, op.hash);
  const existing = slot < 0 ? 0 : table.slotRecord(slot);
  const recordBytes = recordBytesOf(op.keyLength, op.contentTypeLength, op.valueLength);
  const growthBytes = classSizes[classOf(recordBytes)]! - (existing === 0 ? 0 : table.recordSlotBytes(existing));
  if (table.namespaceBytes(op.namespaceId) + growthBytes > namespace.budgetBytes) return Status.OutOfMemory;
  if (!state.journal.hasRoomFor(op.keyLength, op.contentTypeLength, op.valueLength, op.tagsLength)) return Status.Busy;
  const offset = table.allocate(recordBytes);
  if (offset === 0) return Status.OutOfMemory;
  const fields = state.fields;
  fields.kind = EntryKind.Put;
  fields.namespaceId = op.namespaceId;
  fields.generation = op.generation;
  fields.expiry = op.expiry;
  fields.lastModified = op.lastModified;
  state.runs.from(bytes, words).contiguous(op.keyStart, op.keyLength, op.contentTypeLength, op.valueLength).tags(op.tagsStart, op.tagsLength);
  state.installRecord(offset, slot, existing, op.hash, entryFlagReplayed);
  state.tags.afterPut(bytes, op);
  return Status.Ok;
}
