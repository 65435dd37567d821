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
import { applyRecordsOutOfMemory } from './result-collectors';
import type { ResultSink, ResultView } from './result-sink';
import { forEachSnapshotRecord, snapshotChunkNamespace, snapshotChunkRecords } from './snapshot-chunk';
import type { SnapshotReader } from './snapshot-reader';
import type { WalReader } from './wal-reader';
import { walNamespaceBytesMax, type WalRecordView } from '../layout/wal-record';
import type { ChangeLog } from './change-log';
import type { PersistenceHost } from './persistence-host';

/**
 * Changes submitted and not yet answered at most (bounds the memory of queued batches). Past it the
 * replay waits until half have been answered, not all: the front writes the next batches while the
 * shards apply the last ones (waiting for all of them left both sides idle in turn: the main
 * thread and the shards each measured 40-65 % idle in a profile of a 1M-record recovery).
 */
const applyWindow = 16384;
/**
 * The snapshot's window is counted in chunks' worth of records: it must hold a chunk for each shard
 * and the next ones, so the shards apply chunks while the front reads and routes the next (a chunk
 * is at most one 4 MiB scan slice: this bounds the queued batches to a few tens of MiB).
 */
const snapshotApplyWindow = 8 * 16384;
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

export interface RecoverySources {
  snapshots: SnapshotReader;
  /** A WAL reader yielding the records after fromLsn; `tailOnly`: read-only, skipping covered segments. */
  wal: (fromLsn: number, tailOnly: boolean) => WalReader;
}

export type RecoveryProgress = (phase: 'snapshot' | 'wal', done: number, total: number, recordsPerSec: number) => void;

/** Counts the answers of a window of apply ops; a shard that died mid-recovery is fatal. */
export class ApplyCounter implements ResultSink {
  pending = 0;
  outOfMemory = 0;
  #resolve: (() => void) | null = null;
  #resumeAt = 0;
  #failure: Error | null = null;

  onResult(_token: number, result: ResultView | null): void {
    if (result === null) this.#failure ??= new Error('a shard thread died while applying logged changes');
    else if (result.status === Status.OutOfMemory) this.outOfMemory++;
    else if (result.status === Status.Busy) this.#failure ??= new Error('a shard journal had no room for a logged change');
    this.#settled(1);
  }

  /** A sink for whole snapshot chunks (Engine.applyChunk): the token is the chunk's record count. */
  readonly chunks: ResultSink = {
    onResult: (records: number, result: ResultView | null): void => {
      if (result === null) this.#failure ??= new Error('a shard thread died while applying a snapshot chunk');
      else if (result.status !== Status.Ok) this.#failure ??= new Error(`a shard answered ${Status[result.status]} to a snapshot chunk`);
      else this.outOfMemory += applyRecordsOutOfMemory(result);
      this.#settled(records);
    },
  };

  #settled(changes: number): void {
    this.pending -= changes;
    assert(this.pending >= 0, 'apply counter: more answers than changes');
    if (this.pending <= this.#resumeAt && this.#resolve !== null) {
      const resolve = this.#resolve;
      this.#resolve = null;
      resolve();
    }
  }

  async drained(): Promise<void> {
    await this.below(0);
  }

  /** Resolves once at most `count` changes are unanswered; rejects with a shard's failure. */
  async below(count: number): Promise<void> {
    assert(this.#resolve === null, 'apply counter: one waiter at a time');
    if (this.pending > count) {
      this.#resumeAt = count;
      await new Promise<void>((resolve) => (this.#resolve = resolve));
    }
    if (this.#failure !== null) throw this.#failure;
  }
}

export async function recover(host: PersistenceHost, sources: RecoverySources, progress: RecoveryProgress): Promise<RecoveryReport> {
  const startedMs = performance.now();
  const counter = new ApplyCounter();
  const request = host.applyRequest;
  const report: RecoveryReport = {
    ms: 0, snapshotLsn: 0, snapshotPath: null, snapshotRecords: 0, rejectedSnapshots: [], walRecords: 0, lastLsn: 0,
    walDroppedBytes: 0, walDroppedRecords: 0, walDamage: null, outOfMemory: 0, unknownNamespace: 0,
  };
  let lastProgressMs = startedMs;
  const tick = async (phase: 'snapshot' | 'wal', done: number, total: number): Promise<void> => {
    const window = phase === 'snapshot' ? snapshotApplyWindow : applyWindow;
    if (counter.pending >= window) await counter.below(window / 2);
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
    for (const chunk of sources.snapshots.chunks(snapshot, host.shardCount)) {
      // Whole, to the shard that owns its keys, when one does (the same shard count as the writer's).
      const namespaceId = namespaceIds[snapshotChunkNamespace(chunk.bytes)] ?? -1;
      const records = snapshotChunkRecords(chunk.bytes);
      if (namespaceId >= 0 && records > 0 && host.applyChunk(chunk.bytes, namespaceId, counter.chunks, records)) {
        counter.pending += records;
        report.snapshotRecords += records;
        await tick('snapshot', report.snapshotRecords, snapshot.records);
        continue;
      }
      const applied = forEachSnapshotRecord(chunk.bytes, namespaceIds, request, () => {
        counter.pending++;
        host.apply(request, counter, 0, true);
      });
      report.unknownNamespace += applied.unknownNamespace;
      report.snapshotRecords += applied.records;
      await tick('snapshot', report.snapshotRecords, snapshot.records);
    }
    await counter.drained();
  }
  host.changes.startAt(report.snapshotLsn);

  // The WAL is replayed in two passes. The first applies every record and builds nothing per
  // record: the change log keeps only its newest `capacity` changes (fewer when their bytes pass its
  // bound), so a Change object for every replayed record was garbage for all but that tail, and
  // building them (strings, copies, then the GC of a million objects that outlived the young
  // generation) was most of a WAL replay's main thread. The second pass, once the last LSN is
  // known, reads back only the tail the log keeps (read-only: the first pass made any repair) and
  // appends it, so the window a subscriber resumes from is exactly what a full replay left.
  const reader = sources.wal(report.snapshotLsn, false);
  const namespaces = new NamespaceLookup(host);
  for (const record of reader.records()) {
    report.walRecords++;
    const namespaceId = namespaces.idOf(record);
    if (namespaceId < 0) {
      report.unknownNamespace++;
      continue;
    }
    fillApplyRequest(request, namespaceId, record);
    counter.pending++;
    host.apply(request, counter, 0, true);
    await tick('wal', report.walRecords, 0);
  }
  if (reader.report.records > 0) appendTail(host.changes, sources.wal, report.snapshotLsn, reader.report.lastLsn);
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

/**
 * Appends the WAL records the change log will keep, (lastLsn - capacity, lastLsn], after the first
 * pass applied them all. The log holds snapshotLsn as its last LSN; older changes are a Gap to a
 * reader, exactly as if they had been appended and dropped.
 */
function appendTail(changes: ChangeLog, wal: RecoverySources['wal'], snapshotLsn: number, lastLsn: number): void {
  const tailFrom = Math.max(snapshotLsn, lastLsn - changes.capacity);
  if (tailFrom > changes.lastLsn) changes.skipTo(tailFrom);
  const tail = wal(tailFrom, true);
  for (const record of tail.records()) {
    // The log keeps changes as records of this very format: the record is copied, never decoded.
    changes.appendRecord(record);
  }
  assert(tail.report.damage === null && changes.lastLsn === lastLsn, `recovery: the WAL's tail read back to LSN ${changes.lastLsn}, not ${lastLsn}`);
}

/** A WAL record's namespace id by its name bytes, decoding a name only when it differs from the last. */
class NamespaceLookup {
  readonly #host: PersistenceHost;
  readonly #last = new Uint8Array(walNamespaceBytesMax);
  #lastBytes = 0;
  #lastId = -1;

  constructor(host: PersistenceHost) {
    this.#host = host;
  }

  /** The engine's id for the record's namespace, -1 when this config has none of that name. */
  idOf(record: WalRecordView): number {
    const bytes = record.bytes;
    const start = record.namespaceStart;
    const length = record.namespaceBytes;
    if (length === this.#lastBytes && bytesEqual(this.#last, bytes, start, length)) return this.#lastId;
    this.#last.set(bytes.subarray(start, start + length));
    this.#lastBytes = length;
    this.#lastId = this.#host.namespaceId(record.namespace) ?? -1;
    return this.#lastId;
  }
}

function bytesEqual(left: Uint8Array, right: Uint8Array, rightStart: number, length: number): boolean {
  for (let index = 0; index < length; index++) if (left[index] !== right[rightStart + index]) return false;
  return true;
}
