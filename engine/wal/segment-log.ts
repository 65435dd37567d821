// The WAL's segment files and group commit, independent of threads: the log-writer worker drives one
// SegmentLog (append every record that arrived, then commit), and tests drive it directly over the
// fault-injecting file layer.
//
// Vocabulary. Appended = staged in memory. Written = handed to the OS with write(2) (survives a
// process crash, not a power loss). Synced = covered by a returned fdatasync (survives power loss).
// Durable = what acknowledgements may rely on, by policy:
//   always    durable = synced. One fdatasync per commit; a commit takes every record that arrived
//             while the previous fdatasync ran (group commit), so fsyncs/s stays bounded by the disk
//             while records/s grows with the batch.
//   everysec  durable = written (like Redis `appendfsync everysec`): records are written at once and
//             fdatasync runs at most once a second, so a power loss may lose up to ~1 s of
//             acknowledged writes; a process crash loses none.
//   never     durable = written; the OS flushes when it likes.
//
// Segments: `wal/<seq 16 hex>.wal`, rotated when the next record would pass `segmentBytes` (a record
// larger than a segment gets a segment of its own, which grows past the bound). The files themselves
// (listing, the spare prepared ahead of need, headers, dropping) are segment-files.ts.
//
// Failure (fsyncgate): after any write or fsync error the log is failed for good. It never retries a
// failed fsync (the kernel may have dropped the dirty pages and would report the retry as success),
// stops writing, and the durable LSN never moves again.

import { GrowableBytes } from '../layout/growable-bytes';
import { assert } from '../layout/assert';
import { fsyncLatencyRingSize } from '../layout/wal-shared-state';
import { readRecordLsn, recordBytesFor, recordWordPayloadBytes, sealWalRecord, walPayloadBytesMax } from '../layout/wal-record';
import { segmentHeaderBytes } from '../layout/wal-segment-header';
import { type FileLayer, writeFully } from '../layout/file-layer';
import { type OpenSegment, SegmentFiles } from './segment-files';

export type FsyncPolicy = 'always' | 'everysec' | 'never';

export const walSegmentBytesDefault = 64 * 1024 * 1024;
export const walSegmentBytesMin = 64 * 1024;
/** everysec: the longest time between two fdatasyncs while written > synced. */
export const everysecIntervalMs = 1000;
/** Recent fsync latencies kept for stats (a ring). */
export const fsyncLatencySamplesMax = fsyncLatencyRingSize;

export interface SegmentLogOptions {
  files: FileLayer;
  /** The `wal` directory inside the data dir. */
  walDirectory: string;
  historyId: Uint8Array;
  fsync: FsyncPolicy;
  segmentBytes: number;
  /** The LSN the next appended record must carry (everything before it is on disk already). */
  nextLsn: number;
  /** Milliseconds clock for everysec (tests pass a fake one). */
  nowMs?: () => number;
  /**
   * TEST-ONLY, DELIBERATELY WRONG: report records durable as soon as write() returns, before any
   * fdatasync. Exists so the crash test can prove it detects a log that acknowledges too early.
   */
  testOnlyAckBeforeFsync?: boolean;
}

export interface SegmentLogStats {
  writtenLsn: number;
  syncedLsn: number;
  durableLsn: number;
  bytesWritten: number;
  segments: number;
  segmentsCreated: number;
  fsyncs: number;
  /** Total fsync latency samples ever taken; the newest min(count, ring size) are in the ring. */
  fsyncLatencyCount: number;
  failed: Error | null;
}

export class SegmentLog {
  readonly #files: FileLayer;
  readonly #segmentFiles: SegmentFiles;
  readonly #policy: FsyncPolicy;
  readonly #segmentBytes: number;
  readonly #nowMs: () => number;
  readonly #ackBeforeFsync: boolean;
  readonly #staged = new GrowableBytes(256 * 1024);
  /** everysec: retired segments whose last records await the next periodic fdatasync (bounded by the rate of rotation in one second). */
  readonly #retiredUnsynced: number[] = [];
  #stagedLastLsn: number;
  #writtenLsn: number;
  #syncedLsn: number;
  #lastSyncMs: number;
  #failed: Error | null = null;
  #bytesWritten = 0;
  #fsyncs = 0;
  readonly fsyncLatencyUs = new Float64Array(fsyncLatencySamplesMax);
  #fsyncLatencyCount = 0;

  constructor(options: SegmentLogOptions) {
    assert(Number.isSafeInteger(options.nextLsn) && options.nextLsn >= 1, 'nextLsn is a safe integer >= 1');
    assert(Number.isSafeInteger(options.segmentBytes) && options.segmentBytes >= walSegmentBytesMin, `segmentBytes >= ${walSegmentBytesMin}`);
    this.#files = options.files;
    this.#segmentFiles = new SegmentFiles(options.files, options.walDirectory, options.historyId, options.segmentBytes);
    this.#policy = options.fsync;
    this.#segmentBytes = options.segmentBytes;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#ackBeforeFsync = options.testOnlyAckBeforeFsync === true;
    this.#stagedLastLsn = options.nextLsn - 1;
    this.#writtenLsn = options.nextLsn - 1;
    this.#syncedLsn = options.nextLsn - 1;
    this.#lastSyncMs = this.#nowMs();
  }

  /** Lists existing segments, drops unused spares, creates the active segment and a spare. */
  open(): void {
    this.#segmentFiles.open(this.#writtenLsn + 1);
  }

  /** Prepares the spare segment when rotation used it; call it after publishing a commit. */
  prepareSpare(): void {
    if (this.#failed !== null) return;
    try {
      this.#segmentFiles.prepareSpare();
    } catch (error: unknown) {
      this.#fail(error);
    }
  }

  /**
   * Stages whole encoded records (LSNs contiguous with everything appended before) and seals them
   * (computes each crc: encoding on the front thread leaves it 0). Nothing reaches the OS until
   * commit(). Dropped once the log has failed: nothing after a failure can become durable, and the
   * caller learns of the failure from `failed`.
   */
  append(records: Uint8Array): void {
    assert(this.#segmentFiles.active !== null, 'append before open');
    if (this.#failed !== null) return;
    const staged = this.#staged;
    const first = staged.length;
    staged.reserve(records.length);
    staged.u8.set(records, first);
    const view = staged.view;
    let expected = this.#stagedLastLsn + 1;
    let at = first;
    const end = first + records.length;
    // Bounded by the records' length: every pass moves at least one record header forward.
    while (at < end) {
      const payloadBytes = view.getUint32(at + recordWordPayloadBytes, true);
      assert(payloadBytes > 0 && payloadBytes <= walPayloadBytesMax && at + recordBytesFor(payloadBytes) <= end, 'appended bytes are not whole WAL records');
      const lsn = readRecordLsn(view, at);
      if (lsn !== expected) assert(false, `WAL append out of order: expected LSN ${expected}, got ${lsn}`);
      sealWalRecord(staged.u8, view, at);
      expected++;
      at += recordBytesFor(payloadBytes);
    }
    staged.length = end;
    this.#stagedLastLsn = expected - 1;
  }

  /** Writes every staged record, rotating as needed, then fdatasyncs as the policy says. */
  commit(): void {
    if (this.#failed !== null) return;
    try {
      this.#writeStaged();
      const due = this.#policy === 'always' || (this.#policy === 'everysec' && this.#nowMs() - this.#lastSyncMs >= everysecIntervalMs);
      if (due) this.#syncActive();
    } catch (error: unknown) {
      this.#fail(error);
    }
  }

  /** everysec: the once-a-second fdatasync when nothing else triggered one. */
  tick(): void {
    if (this.#policy !== 'everysec' || this.#failed !== null) return;
    if (this.#nowMs() - this.#lastSyncMs < everysecIntervalMs) return;
    try {
      this.#syncActive();
    } catch (error: unknown) {
      this.#fail(error);
    }
  }

  #writeStaged(): void {
    const staged = this.#staged;
    const view = staged.view;
    let runStart = 0;
    let at = 0;
    let runLastLsn = this.#writtenLsn;
    const active = (): OpenSegment => this.#segmentFiles.active!;
    // Bounded by the staged length: every pass consumes one record.
    while (at < staged.length) {
      const recordBytes = recordBytesFor(view.getUint32(at + recordWordPayloadBytes, true));
      const segmentHasRoom = active().offset + (at - runStart) + recordBytes <= this.#segmentBytes;
      const segmentEmpty = active().offset + (at - runStart) === segmentHeaderBytes;
      if (!segmentHasRoom && !segmentEmpty) {
        this.#writeRun(runStart, at, runLastLsn);
        this.#rotate();
        runStart = at;
      }
      runLastLsn = readRecordLsn(view, at);
      at += recordBytes;
    }
    this.#writeRun(runStart, at, runLastLsn);
    staged.length = 0;
  }

  #writeRun(start: number, end: number, lastLsn: number): void {
    if (end === start) return;
    const active = this.#segmentFiles.active!;
    writeFully(this.#files, active.fd, this.#staged.u8, start, end - start, active.offset);
    active.offset += end - start;
    this.#bytesWritten += end - start;
    this.#writtenLsn = lastLsn;
  }

  /**
   * Retires the full active segment and activates the spare. `always` syncs it now (its records are
   * not durable before); `everysec` keeps its fd and syncs it with the next periodic fdatasync, so a
   * 64 MiB flush does not stall the writer mid-second; `never` just closes it.
   */
  #rotate(): void {
    const full = this.#segmentFiles.active!;
    if (this.#policy === 'always') this.#syncActive();
    if (this.#policy === 'everysec') this.#retiredUnsynced.push(full.fd);
    else this.#files.close(full.fd);
    this.#segmentFiles.activateNext(this.#writtenLsn + 1);
  }

  #syncActive(): void {
    const target = this.#writtenLsn;
    const startedMs = performance.now();
    // Retired segments first: synced must never pass a record that is not on disk.
    while (this.#retiredUnsynced.length > 0) {
      const fd = this.#retiredUnsynced[0]!;
      this.#files.fdatasync(fd);
      this.#retiredUnsynced.shift();
      this.#files.close(fd);
    }
    this.#files.fdatasync(this.#segmentFiles.active!.fd);
    this.#recordFsync(performance.now() - startedMs);
    this.#lastSyncMs = this.#nowMs();
    assert(target >= this.#syncedLsn, 'synced LSN went backwards');
    this.#syncedLsn = target;
  }

  #recordFsync(latencyMs: number): void {
    this.#fsyncs++;
    this.fsyncLatencyUs[this.#fsyncLatencyCount % fsyncLatencySamplesMax] = latencyMs * 1000;
    this.#fsyncLatencyCount++;
  }

  #fail(error: unknown): void {
    this.#failed = error instanceof Error ? error : new Error(String(error));
    this.#staged.length = 0;
  }

  /** The LSN acknowledgements may rely on (see the policies at the top). Frozen after a failure. */
  get durableLsn(): number {
    if (this.#policy === 'always' && !this.#ackBeforeFsync) return this.#syncedLsn;
    return this.#writtenLsn;
  }
  get writtenLsn(): number {
    return this.#writtenLsn;
  }
  get syncedLsn(): number {
    return this.#syncedLsn;
  }
  get failed(): Error | null {
    return this.#failed;
  }

  /**
   * Deletes closed segments whose records all have LSN <= lsn (the caller holds back `lsn` for
   * segments a replica still needs). The active segment is never deleted. Returns the count deleted.
   */
  dropBefore(lsn: number): number {
    return this.#segmentFiles.dropBefore(lsn);
  }

  stats(): SegmentLogStats {
    return {
      writtenLsn: this.#writtenLsn,
      syncedLsn: this.#syncedLsn,
      durableLsn: this.durableLsn,
      bytesWritten: this.#bytesWritten,
      segments: this.#segmentFiles.count,
      segmentsCreated: this.#segmentFiles.segmentsCreated,
      fsyncs: this.#fsyncs,
      fsyncLatencyCount: this.#fsyncLatencyCount,
      failed: this.#failed,
    };
  }

  /** Writes what is staged, makes it synced whatever the policy (unless failed), closes the files. */
  close(): void {
    if (this.#failed === null) {
      try {
        this.#writeStaged();
        if (this.#syncedLsn < this.#writtenLsn) this.#syncActive();
      } catch (error: unknown) {
        this.#fail(error);
      }
    }
    const fds = this.#retiredUnsynced.splice(0);
    fds.push(...this.#segmentFiles.takeOpenFds());
    for (const fd of fds) {
      try {
        this.#files.close(fd);
      } catch {
        // Closing after a failure may fail again; the failure is already recorded.
      }
    }
  }
}
