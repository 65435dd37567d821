// Reads the WAL at recovery (main thread, before the server takes traffic). It opens the segments in
// seq order and yields, in LSN order, every record with LSN > fromLsn, checking each record's
// checksum and that LSNs run on without a gap across records and segments. At the first torn or
// corrupt record it stops for good (no record after a bad one is ever yielded), truncates that
// segment at the bad record, deletes every later segment, and reports what it dropped.
//
// Across segments the chain may jump forward only where the hole lies wholly at or below fromLsn
// (the snapshot covers it); any other break is damage.
//
// Iterate `records()` to the end: the repair happens when the damage is met, and `report` is final
// only once the iteration finished. With `readOnly` it stops at the damage and repairs nothing (a
// reader of the live WAL, which may meet the record being written). A segment of another history (another data dir's WAL) is not
// damage but a configuration error: it throws and repairs nothing.

import * as path from 'node:path';
import { assert } from '../layout/assert';
import { RecordCheck, WalRecordView } from '../layout/wal-record';
import { HeaderCheck, decodeSegmentHeader, isAllZero, parseSegmentFileName, sameHistory, segmentHeaderBytes } from '../layout/wal-segment-header';
import { type FileLayer, nodeFileLayer, readFully } from '../layout/file-layer';

/** The WAL does not reach back to the LSN recovery needs: not damage to repair, a hole to report. */
export class WalGapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WalGapError';
  }
}

export interface WalReadOptions {
  walDirectory: string;
  /** Records with LSN <= fromLsn are checked but not yielded (they are in the snapshot). */
  fromLsn: number;
  /** When given, every segment must belong to this history. */
  historyId?: Uint8Array;
  /** After a promotion (DESIGN: replid2): segments of the history this one continued are this history's too. */
  previousHistoryId?: Uint8Array | null;
  files?: FileLayer;
  /**
   * Never truncate nor delete: a primary reading its LIVE WAL for a replica meets the record the
   * log-writer is appending as a torn tail. It stops there and reports it; the files stay as they are.
   */
  readOnly?: boolean;
  /**
   * Skip, unread, every segment whose successor starts at or before fromLsn + 1 (all its records
   * are at or below fromLsn). A replica's catch-up reads only the segments it needs; recovery
   * reads them all (it checks the whole chain).
   */
  skipCovered?: boolean;
  /**
   * Cut the WAL after this LSN: the first record past it is repaired away like damage (its segment
   * truncated there, later segments deleted). An old primary rejoining drops its divergent tail so
   * (front/divergent-tail.ts). Not with readOnly.
   */
  truncateAfterLsn?: number;
}

export interface WalReadReport {
  /** Records yielded. */
  records: number;
  /** LSN of the first good record found in the WAL, 0 if none. A caller checks firstLsn <= fromLsn + 1. */
  firstLsn: number;
  /** LSN of the last good record, or 0 if none. */
  lastLsn: number;
  /**
   * The LSN the WAL continues at: lastLsn + 1, or the first LSN of a segment with no records yet
   * (0 when there are no segments). Recovery resumes at max(nextLsn, snapshot LSN + 1).
   */
  nextLsn: number;
  /** Non-zero bytes removed by the repair. */
  droppedBytes: number;
  /** Records found after the damage (best effort: counted while their framing still parses). */
  droppedRecords: number;
  /** What was wrong, or null when the WAL was whole. */
  damage: string | null;
  truncatedSegment: string | null;
  deletedSegments: string[];
}

interface SegmentFile {
  seq: number;
  filePath: string;
}

export class WalReader {
  readonly report: WalReadReport = {
    records: 0,
    firstLsn: 0,
    lastLsn: 0,
    nextLsn: 0,
    droppedBytes: 0,
    droppedRecords: 0,
    damage: null,
    truncatedSegment: null,
    deletedSegments: [],
  };
  readonly #options: WalReadOptions;
  readonly #files: FileLayer;
  readonly #view = new WalRecordView();
  #buffer = new Uint8Array(64 * 1024);

  constructor(options: WalReadOptions) {
    assert(Number.isSafeInteger(options.fromLsn) && options.fromLsn >= 0, 'fromLsn is a safe integer >= 0');
    assert(options.truncateAfterLsn === undefined || (options.readOnly !== true && Number.isSafeInteger(options.truncateAfterLsn)), 'a WAL cut is a repair: not read-only');
    this.#options = options;
    this.#files = options.files ?? nodeFileLayer;
  }

  #listSegments(): SegmentFile[] {
    const segments: SegmentFile[] = [];
    for (const name of this.#files.list(this.#options.walDirectory)) {
      const seq = parseSegmentFileName(name);
      if (seq >= 0) segments.push({ seq, filePath: path.join(this.#options.walDirectory, name) });
    }
    return segments.sort((left, right) => left.seq - right.seq);
  }

  /** Reads a whole segment into the reused buffer; returns its length. */
  #load(filePath: string): number {
    const fd = this.#files.openRead(filePath);
    try {
      const size = this.#files.size(fd);
      if (size > this.#buffer.length) this.#buffer = new Uint8Array(Math.max(size, this.#buffer.length * 2));
      return readFully(this.#files, fd, this.#buffer, 0, size, 0);
    } finally {
      this.#files.close(fd);
    }
  }

  /** Index of the last segment whose header is not blank (trailing blank files are unused spares). */
  #lastNonBlank(segments: SegmentFile[]): number {
    const header = new Uint8Array(segmentHeaderBytes);
    for (let index = segments.length - 1; index >= 0; index--) {
      const fd = this.#files.openRead(segments[index]!.filePath);
      let read = 0;
      try {
        read = readFully(this.#files, fd, header, 0, segmentHeaderBytes, 0);
      } finally {
        this.#files.close(fd);
      }
      if (decodeSegmentHeader(header.subarray(0, read)) !== HeaderCheck.Blank) return index;
    }
    return -1;
  }

  /** The index of the first segment holding a record after fromLsn, judged by the headers alone. */
  #firstNeeded(segments: SegmentFile[], lastUsed: number): number {
    const header = new Uint8Array(segmentHeaderBytes);
    // Bounded by the segment count: one header read per step.
    for (let index = 0; index < lastUsed; index++) {
      const fd = this.#files.openRead(segments[index + 1]!.filePath);
      let read = 0;
      try {
        read = readFully(this.#files, fd, header, 0, segmentHeaderBytes, 0);
      } finally {
        this.#files.close(fd);
      }
      const next = decodeSegmentHeader(header.subarray(0, read));
      if (next === HeaderCheck.Blank || next === HeaderCheck.Corrupt || next.firstLsn > this.#options.fromLsn + 1) return index;
    }
    return lastUsed;
  }

  /** Yields the reused view, pointed at each record in turn; copy what must outlive the next step. */
  *records(): Generator<WalRecordView> {
    const segments = this.#listSegments();
    const lastUsed = this.#lastNonBlank(segments);
    let chainLsn = -1;
    const first = this.#options.skipCovered === true ? this.#firstNeeded(segments, lastUsed) : 0;
    for (let index = first; index <= lastUsed; index++) {
      const segment = segments[index]!;
      const length = this.#load(segment.filePath);
      const bytes = this.#buffer;
      const header = decodeSegmentHeader(bytes.subarray(0, Math.min(length, segmentHeaderBytes)));
      if (header === HeaderCheck.Blank || header === HeaderCheck.Corrupt) {
        this.#repair(segments, index, 0, header === HeaderCheck.Blank ? 'a blank segment before the last' : 'a corrupt segment header', Math.max(chainLsn, 0));
        return;
      }
      const previous = this.#options.previousHistoryId;
      const ours = this.#options.historyId === undefined || sameHistory(header.historyId, this.#options.historyId) || (previous != null && sameHistory(header.historyId, previous));
      if (!ours) {
        throw new Error(`WAL segment ${segment.filePath} belongs to another history: refusing to read or repair it`);
      }
      if (chainLsn < 0 && header.firstLsn > this.#options.fromLsn + 1) {
        throw new WalGapError(`the WAL starts at LSN ${header.firstLsn} but recovery needs every record after ${this.#options.fromLsn}: records are missing (a deleted segment?), refusing to recover from it`);
      }
      // A forward jump whose hole lies wholly at or below fromLsn is no loss: it is what a restart
      // leaves when the WAL lost an unsynced tail (fsync never/everysec) that a snapshot covers.
      const holeCovered = header.firstLsn > chainLsn && header.firstLsn <= this.#options.fromLsn + 1;
      if (chainLsn >= 0 && header.firstLsn !== chainLsn && !holeCovered) {
        this.#repair(segments, index, 0, `segment starts at LSN ${header.firstLsn}, expected ${chainLsn}`, chainLsn);
        return;
      }
      let expected = header.firstLsn;
      let at = segmentHeaderBytes;
      const cutAfter = this.#options.truncateAfterLsn ?? Number.POSITIVE_INFINITY;
      if (header.firstLsn > cutAfter + 1) {
        // Wholly past the cut: the segment goes, header and all (its header would name a later next LSN).
        this.#repair(segments, index, 0, `the WAL is cut after LSN ${cutAfter}`, chainLsn < 0 ? cutAfter + 1 : chainLsn);
        return;
      }
      // Bounded by the segment length: each pass moves past one whole record or leaves.
      for (;;) {
        const check = this.#view.check(bytes, at, length);
        if (check === RecordCheck.Ok && this.#view.lsn === expected && expected > cutAfter) {
          this.#repair(segments, index, at, `the WAL is cut after LSN ${cutAfter}`, expected);
          return;
        }
        if (check === RecordCheck.Ok && this.#view.lsn === expected) {
          if (this.report.firstLsn === 0) this.report.firstLsn = expected;
          this.report.lastLsn = expected;
          expected++;
          if (this.#view.lsn > this.#options.fromLsn) {
            this.report.records++;
            yield this.#view;
          }
          at += this.#view.recordBytes;
          continue;
        }
        if (check === RecordCheck.End && (index < lastUsed || isAllZero(bytes.subarray(at, length)))) {
          chainLsn = expected;
          this.report.nextLsn = expected;
          break;
        }
        const why = check === RecordCheck.Ok ? `LSN ${this.#view.lsn} where ${expected} was expected` : check === RecordCheck.Torn ? 'a torn record' : check === RecordCheck.End ? 'bytes after the end of the records' : 'a corrupt record';
        this.#repair(segments, index, at, `${why} in ${path.basename(segment.filePath)} at byte ${at}`, expected);
        return;
      }
    }
  }

  /** Truncates segment `index` at `offset` (deletes it when the header is bad) and deletes later ones. */
  #repair(segments: SegmentFile[], index: number, offset: number, why: string, nextLsn: number): void {
    const report = this.report;
    report.damage = why;
    report.nextLsn = nextLsn;
    if (this.#options.readOnly === true) return;
    const files = this.#files;
    const damaged = segments[index]!;
    const length = this.#load(damaged.filePath);
    report.droppedBytes += Math.max(0, nonZeroEnd(this.#buffer, length) - offset);
    report.droppedRecords += countParsable(this.#view, this.#buffer, Math.max(offset, segmentHeaderBytes), length);
    if (offset < segmentHeaderBytes) {
      files.unlink(damaged.filePath);
      report.deletedSegments.push(damaged.filePath);
    } else {
      const fd = files.openReadWrite(damaged.filePath);
      try {
        files.truncate(fd, offset);
        files.fsync(fd);
      } finally {
        files.close(fd);
      }
      report.truncatedSegment = damaged.filePath;
    }
    for (const later of segments.slice(index + 1)) {
      const laterLength = this.#load(later.filePath);
      report.droppedBytes += nonZeroEnd(this.#buffer, laterLength);
      report.droppedRecords += countParsable(this.#view, this.#buffer, segmentHeaderBytes, laterLength);
      files.unlink(later.filePath);
      report.deletedSegments.push(later.filePath);
    }
    files.fsyncDirectory(this.#options.walDirectory);
  }
}


function nonZeroEnd(bytes: Uint8Array, length: number): number {
  let end = length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end;
}

/** Counts records whose framing parses from `start`, counting a bad-checksum record of plausible size. */
function countParsable(view: WalRecordView, bytes: Uint8Array, start: number, length: number): number {
  let count = 0;
  let at = start;
  const dataView = new DataView(bytes.buffer, bytes.byteOffset, length);
  // Bounded: each pass moves forward by at least 24 bytes (a record's minimum) or stops.
  while (at + 8 <= length) {
    const check = view.check(bytes, at, length);
    if (check === RecordCheck.Ok) {
      count++;
      at += view.recordBytes;
      continue;
    }
    if (check !== RecordCheck.Corrupt) break;
    const payloadBytes = dataView.getUint32(at, true);
    const recordBytes = (16 + payloadBytes + 7) & ~7;
    if (payloadBytes < 32 || at + recordBytes > length) break;
    count++;
    at += recordBytes;
  }
  return count;
}
