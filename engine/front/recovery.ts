// Recovery at start (DESIGN "Durability and replication"): the newest complete snapshot, then the
// WAL from the snapshot's LSN, applied through the shards with apply ops (shard/shard-apply.ts).
// Each applied WAL change also enters the change log with its own LSN, so LSNs continue across the
// restart and a subscriber resuming with fromLsn gets exactly the changes after it.
//
// Replay is idempotent because every change is absolute (a put sets the whole record, a removal
// removes, a touch sets the expiry): a fuzzy snapshot that already holds some later changes
// converges on the logged state once the log is replayed to its end. The WAL reader stops at the
// first torn or corrupt record and truncates there; nothing after damage is ever applied.

import { assert } from '../layout/assert';
import { Status } from '../layout/status';
import { fillApplyRequest } from './apply-logged-change';
import type { ResultSink, ResultView } from './result-sink';
import { forEachSnapshotRecord } from './snapshot-chunk';
import type { SnapshotReader } from './snapshot-reader';
import type { WalReader } from './wal-reader';
import type { PersistenceHost } from './persistence-host';

/** Changes submitted before recovery waits for their answers (bounds the memory of queued batches). */
const applyWindow = 8192;
/** Progress is logged at most this often. */
const progressIntervalMs = 2000;

export interface RecoveryReport {
  ms: number;
  snapshotLsn: number;
  snapshotPath: string | null;
  snapshotRecords: number;
  /** Snapshots found damaged or incomplete and skipped, with why. */
  rejectedSnapshots: { path: string; reason: string }[];
  walRecords: number;
  /** The LSN the node continues after. */
  lastLsn: number;
  walDroppedBytes: number;
  walDroppedRecords: number;
  walDamage: string | null;
  /** Changes that did not fit their namespace's memory (a smaller limit than the data had). */
  outOfMemory: number;
  /** Snapshot records or WAL changes of a namespace this config no longer has. */
  unknownNamespace: number;
}

export type RecoveryProgress = (phase: 'snapshot' | 'wal', done: number, total: number, recordsPerSec: number) => void;

/** Counts the answers of a window of apply ops; a shard that died mid-recovery is fatal. */
export class ApplyCounter implements ResultSink {
  pending = 0;
  outOfMemory = 0;
  #resolve: (() => void) | null = null;
  #failure: Error | null = null;

  onResult(_token: number, result: ResultView | null): void {
    if (result === null) this.#failure ??= new Error('a shard thread died while applying logged changes');
    else if (result.status === Status.OutOfMemory) this.outOfMemory++;
    else if (result.status === Status.Busy) this.#failure ??= new Error('a shard journal had no room for a logged change');
    if (--this.pending === 0 && this.#resolve !== null) {
      const resolve = this.#resolve;
      this.#resolve = null;
      resolve();
    }
  }

  async drained(): Promise<void> {
    if (this.pending > 0) await new Promise<void>((resolve) => (this.#resolve = resolve));
    if (this.#failure !== null) throw this.#failure;
  }
}

export async function recover(host: PersistenceHost, sources: { snapshots: SnapshotReader; wal: (fromLsn: number) => WalReader }, progress: RecoveryProgress): Promise<RecoveryReport> {
  const startedMs = performance.now();
  const counter = new ApplyCounter();
  const request = host.applyRequest;
  const report: RecoveryReport = {
    ms: 0, snapshotLsn: 0, snapshotPath: null, snapshotRecords: 0, rejectedSnapshots: [], walRecords: 0, lastLsn: 0,
    walDroppedBytes: 0, walDroppedRecords: 0, walDamage: null, outOfMemory: 0, unknownNamespace: 0,
  };
  let lastProgressMs = startedMs;
  const tick = async (phase: 'snapshot' | 'wal', done: number, total: number): Promise<void> => {
    if (counter.pending >= applyWindow) await counter.drained();
    const now = performance.now();
    if (now - lastProgressMs >= progressIntervalMs) {
      lastProgressMs = now;
      progress(phase, done, total, Math.round(done / ((now - startedMs) / 1000)));
    }
  };

  const snapshot = sources.snapshots.findNewest();
  report.rejectedSnapshots = sources.snapshots.rejected;
  if (snapshot !== null) {
    report.snapshotLsn = snapshot.startLsn;
    report.snapshotPath = snapshot.path;
    const namespaceIds = snapshot.namespaces.map((name) => host.namespaceId(name) ?? -1);
    // Snapshot records come in table-hash order. Inserted so into a small index (slots from the
    // hash's high bits, linear probing) they pile into one growing probe run: quadratic, 253 s for
    // 1M records measured. Sized first, the load is linear (3.6 s).
    await host.reserveIndex(snapshot.records);
    for (const chunk of sources.snapshots.chunks(snapshot)) {
      const applied = forEachSnapshotRecord(chunk.bytes, namespaceIds, request, () => {
        counter.pending++;
        host.apply(request, counter, 0);
      });
      report.unknownNamespace += applied.unknownNamespace;
      report.snapshotRecords += applied.records;
      await tick('snapshot', report.snapshotRecords, snapshot.records);
    }
    await counter.drained();
  }
  host.changes.startAt(report.snapshotLsn);

  const reader = sources.wal(report.snapshotLsn);
  for (const record of reader.records()) {
    const change = record.toChange();
    // The change's namespace name is decoded once, by toChange: look the id up from it.
    const namespaceId = host.namespaceId(change.ns);
    // The change log takes every change with its own LSN, known namespace or not: LSNs stay whole.
    const lsn = host.changes.append(change);
    assert(lsn === record.lsn, `recovery: WAL record ${record.lsn} would get LSN ${lsn}`);
    report.walRecords++;
    if (namespaceId === undefined) {
      report.unknownNamespace++;
      continue;
    }
    fillApplyRequest(request, namespaceId, record);
    counter.pending++;
    host.apply(request, counter, 0);
    await tick('wal', report.walRecords, 0);
  }
  await counter.drained();
  const wal = reader.report;
  report.walDroppedBytes = wal.droppedBytes;
  report.walDroppedRecords = wal.droppedRecords;
  report.walDamage = wal.damage;
  // An empty segment may name an LSN past the last record (a start that wrote nothing): continue there.
  const nextLsn = Math.max(wal.nextLsn, report.snapshotLsn + 1, host.changes.lastLsn + 1);
  if (nextLsn - 1 > host.changes.lastLsn) host.changes.skipTo(nextLsn - 1);
  report.lastLsn = host.changes.lastLsn;
  report.outOfMemory = counter.outOfMemory;
  report.ms = Math.round(performance.now() - startedMs);
  return report;
}
