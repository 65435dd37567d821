// The request struct for Engine.apply(): a change made elsewhere (a WAL record or a snapshot record
// at recovery, later a primary's stream) to be applied as it is, with its own generation, expiry
// and lastModified. Like OpRequest, one is kept and refilled per change; its key, content type and
// value are runs of one source array (a WAL segment, a snapshot chunk), so naming them allocates
// nothing per change.

import { EntryKind } from '../layout/journal-layout';

const empty = new Uint8Array(0);

export class ApplyRequest {
  namespaceId = 0;
  /** Put sets the record; delete, expired and evicted remove it; touch sets its expiry. */
  kind: EntryKind = EntryKind.Put;
  /** The array the runs below index. */
  source: Uint8Array = empty;
  keyStart = 0;
  keyLength = 0;
  contentTypeStart = 0;
  contentTypeLength = 0;
  valueStart = 0;
  valueLength = 0;
  /** A put's joined surrogate keys (0 = none). */
  tagsStart = 0;
  tagsLength = 0;
  generation = 0;
  /** Seconds since the epoch; 0 = never. */
  expiry = 0;
  /** Milliseconds since the epoch. */
  lastModified = 0;
}
