// One logged change (a WAL record: read from the WAL at recovery, or received from a primary's
// stream) turned into an apply op for the shard that owns its key. Recovery and the replica's
// applier share it, so both apply a record exactly alike.

import { assert } from '../layout/assert';
import { EntryKind } from '../layout/journal-layout';
import { ChangeKindCode, type WalRecordView } from '../layout/wal-record';
import type { ApplyRequest } from './apply-request';

// A WAL record's kind code is the journal's entry kind (both are the engine's ChangeKind order).
assert(
  (ChangeKindCode.Put as number) === EntryKind.Put && (ChangeKindCode.Delete as number) === EntryKind.Delete &&
    (ChangeKindCode.Touch as number) === EntryKind.Touch && (ChangeKindCode.Expired as number) === EntryKind.Expired &&
    (ChangeKindCode.Evicted as number) === EntryKind.Evicted,
  'WAL kind codes equal journal entry kinds',
);

/** Fills `request` from the record the view points at; its runs index the view's bytes (no copy). */
export function fillApplyRequest(request: ApplyRequest, namespaceId: number, record: WalRecordView): void {
  request.namespaceId = namespaceId;
  request.kind = record.kindCode as number as EntryKind;
  request.source = record.bytes;
  request.keyStart = record.keyStart;
  request.keyLength = record.keyBytes;
  request.contentTypeStart = record.namespaceStart + record.namespaceBytes;
  request.contentTypeLength = record.contentTypeBytes;
  request.valueStart = record.valueStart;
  request.valueLength = record.hasValue ? record.valueBytes : 0;
  request.tagsStart = record.tagsStart;
  request.tagsLength = record.tagsBytes;
  request.generation = record.generation;
  request.expiry = record.expiry;
  request.lastModified = record.lastModified;
}
