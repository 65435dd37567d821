// A primary's side of the replication stream, engine half (the link itself is wire/server/
// replication/): where a replica's stream can start, and the readers that feed it.
//
//   plan(history, lastLsn):
//     same history, lastLsn <= ours, the change log window still holds lastLsn + 1  → memory
//     same history, the WAL (read-only: it is live) reaches back to lastLsn + 1       → wal
//     anything else (a new replica, another history, a replica ahead of us)           → snapshot
//
// A full sync sends the newest complete snapshot (one is taken when there is none), then the
// stream from its LSN: the WAL keeps every record after the newest snapshot, so nothing between
// the snapshot and the live stream is buffered in memory.

import { SyncMode } from '../layout/replication-protocol';
import { sameHistory } from '../layout/wal-segment-header';
import type { RecordsFrameBuilder } from '../layout/replication-records-frame';
import type { WalRecordView } from '../layout/wal-record';
import type { ChangeLog } from './change-log';
import type { Persistence } from './persistence';
import { SnapshotReader, type SnapshotChunk, type SnapshotInfo } from './snapshot-reader';
import type { SnapshotReport } from './snapshot-taker';
import { WalGapError, WalReader } from './wal-reader';

export interface SourceHost {
  readonly changes: ChangeLog;
  readonly persistence: Persistence | null;
  snapshot(): Promise<SnapshotReport>;
}

export class ReplicationSource {
  readonly #host: SourceHost;
  #memoryHistoryId: Uint8Array;

  /** memoryHistoryId: the history of a node without a data dir (minted at its start). */
  constructor(host: SourceHost, memoryHistoryId: Uint8Array) {
    this.#host = host;
    this.#memoryHistoryId = memoryHistoryId.slice();
  }

  get historyId(): Uint8Array {
    return this.#host.persistence?.dataDir.historyId ?? this.#memoryHistoryId.slice();
  }

  /** The history this one continued after a promotion, and its first LSN; null when none. */
  get previous(): { historyId: Uint8Array; switchLsn: number } | null {
    const history = this.#host.persistence?.dataDir.history ?? this.#memoryPrevious;
    return history === null || history.previousHistoryId === null ? null : { historyId: history.previousHistoryId, switchLsn: history.switchLsn };
  }

  /** A node without a data dir promoted: its new history (the data dir keeps it otherwise). */
  #memoryPrevious: { previousHistoryId: Uint8Array | null; switchLsn: number } | null = null;
  promoteInMemory(previousHistoryId: Uint8Array, historyId: Uint8Array, switchLsn: number): void {
    this.#memoryPrevious = { previousHistoryId: previousHistoryId.slice(), switchLsn };
    this.#memoryHistoryId = historyId.slice();
  }

  /** A replica's position continues ours: our history, or the previous one up to the switch. */
  #continues(historyId: Uint8Array, lastLsn: number): boolean {
    if (sameHistory(historyId, this.historyId)) return true;
    const previous = this.previous;
    return previous !== null && sameHistory(historyId, previous.historyId) && lastLsn < previous.switchLsn;
  }

  get canFullSync(): boolean {
    return this.#host.persistence !== null;
  }

  /** How a replica at (historyId, lastLsn) is brought up to date; a WAL plan comes with its cursor. */
  plan(historyId: Uint8Array, lastLsn: number): { mode: SyncMode.Memory } | { mode: SyncMode.Wal; cursor: WalCursor } | { mode: SyncMode.Snapshot } {
    const changes = this.#host.changes;
    if (!this.#continues(historyId, lastLsn) || lastLsn > changes.lastLsn) return { mode: SyncMode.Snapshot };
    const window = changes.readFrom(lastLsn, 1);
    if (!('gap' in window)) return { mode: SyncMode.Memory };
    const cursor = this.walCursor(lastLsn);
    return cursor === null ? { mode: SyncMode.Snapshot } : { mode: SyncMode.Wal, cursor };
  }

  /** A cursor over the WAL after `afterLsn`, or null when there is no WAL or it does not reach back. */
  walCursor(afterLsn: number): WalCursor | null {
    const persistence = this.#host.persistence;
    if (persistence === null) return null;
    const { historyId, previousHistoryId } = persistence.dataDir.history;
    const cursor = new WalCursor(new WalReader({ walDirectory: persistence.dataDir.walDirectory, fromLsn: afterLsn, historyId, previousHistoryId, readOnly: true, skipCovered: true }));
    return cursor.reaches() ? cursor : null;
  }

  /** The newest complete snapshot of this history; takes one when there is none. Null without a data dir. */
  async snapshotForSync(): Promise<{ info: SnapshotInfo; chunks: Generator<SnapshotChunk> } | null> {
    const persistence = this.#host.persistence;
    if (persistence === null) return null;
    const { historyId, previousHistoryId } = persistence.dataDir.history;
    const options = { snapshotDirectory: persistence.dataDir.snapshotDirectory, historyId, previousHistoryId };
    let reader = new SnapshotReader(options);
    let info = reader.findNewest();
    if (info === null) {
      await this.#host.snapshot();
      reader = new SnapshotReader(options);
      info = reader.findNewest();
    }
    return info === null ? null : { info, chunks: reader.chunks(info) };
  }
}

/**
 * Sealed WAL records after an LSN, copied into Records frames a bounded batch at a time. The
 * reader is read-only: the live tail being written reads as a torn record, which ends the cursor
 * (the caller goes on from the change log). Synchronous file reads on the main thread, one
 * segment at a time: a catch-up cost paid by the primary, bounded per call by recordsMax.
 */
export class WalCursor {
  readonly #records: Generator<WalRecordView>;
  #pending: WalRecordView | null = null;
  #done = false;
  failure: string | null = null;

  constructor(reader: WalReader) {
    this.#records = reader.records();
  }

  /** Pulls the first record: false when the WAL does not reach back (a gap) or cannot be read. */
  reaches(): boolean {
    this.#pull();
    return this.failure === null;
  }

  #pull(): void {
    if (this.#done) return;
    try {
      const next = this.#records.next();
      if (next.done === true) this.#done = true;
      else this.#pending = next.value;
    } catch (error: unknown) {
      // A gap, or a segment deleted under us by a snapshot: the caller falls back (memory or snapshot).
      this.#done = true;
      this.failure = error instanceof WalGapError ? error.message : `WAL read failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Adds up to recordsMax records (and about bytesMax bytes) to the builder. False once the WAL has no more. */
  fill(builder: RecordsFrameBuilder, recordsMax: number, bytesMax: number): boolean {
    for (let added = 0; added < recordsMax && builder.bytes < bytesMax; added++) {
      if (this.#pending === null) this.#pull();
      const record = this.#pending;
      if (record === null) return false;
      this.#pending = null;
      builder.addSealed(record.lsn, record.bytes, record.start, record.recordBytes);
    }
    return true;
  }

  close(): void {
    this.#done = true;
    this.#pending = null;
    this.#records.return(undefined);
  }
}
