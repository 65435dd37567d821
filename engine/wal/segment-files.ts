// The WAL's segment files, apart from what is written into them: `wal/<seq 16 hex>.wal` listed at
// open (blank spares left by a crash are deleted), the active segment with its header, the spare, and
// dropping old segments. SegmentLog (segment-log.ts) owns the records, the commit and the sync state
// and asks this for a new active segment when it rotates.
//
// The NEXT segment (the spare) is created, sized with ftruncate, fsynced and its directory entry
// fsynced ahead of need, so no create and no directory fsync sits on the commit path; its header is
// written when it becomes active and reaches the disk with that segment's first fdatasync.

import * as path from 'node:path';
import { assert } from '../layout/assert';
import { type FileLayer, readFully, writeFully } from '../layout/file-layer';
import {
  HeaderCheck,
  decodeSegmentHeader,
  encodeSegmentHeader,
  historyIdBytes,
  parseSegmentFileName,
  segmentFileName,
  segmentHeaderBytes,
} from '../layout/wal-segment-header';

interface SegmentEntry {
  seq: number;
  firstLsn: number;
  filePath: string;
}

export interface OpenSegment {
  seq: number;
  fd: number;
  filePath: string;
  /** Byte position of the next record. */
  offset: number;
}

export class SegmentFiles {
  readonly #files: FileLayer;
  readonly #directory: string;
  readonly #historyId: Uint8Array;
  readonly #segmentBytes: number;
  readonly #header = new Uint8Array(segmentHeaderBytes);
  /** Closed segments and the active one, oldest first (the spare is not listed). */
  readonly #segments: SegmentEntry[] = [];
  #active: OpenSegment | null = null;
  #spare: OpenSegment | null = null;
  #nextSeq = 0;
  #segmentsCreated = 0;

  constructor(files: FileLayer, walDirectory: string, historyId: Uint8Array, segmentBytes: number) {
    assert(historyId.length === historyIdBytes, 'history id is 16 bytes');
    this.#files = files;
    this.#directory = walDirectory;
    this.#historyId = historyId.slice();
    this.#segmentBytes = segmentBytes;
  }

  /** Lists existing segments, drops unused spares, creates the active segment (from `firstLsn`) and a spare. */
  open(firstLsn: number): void {
    assert(this.#active === null, 'SegmentLog opened twice');
    const files = this.#files;
    files.mkdirs(this.#directory);
    let maxSeq = -1;
    for (const name of files.list(this.#directory)) {
      const seq = parseSegmentFileName(name);
      if (seq < 0) continue;
      maxSeq = Math.max(maxSeq, seq);
      const filePath = path.join(this.#directory, name);
      const header = this.#readHeader(filePath);
      if (header === HeaderCheck.Blank) files.unlink(filePath);
      else if (header !== HeaderCheck.Corrupt) this.#segments.push({ seq, firstLsn: header.firstLsn, filePath });
    }
    this.#segments.sort((left, right) => left.seq - right.seq);
    this.#nextSeq = maxSeq + 1;
    this.#activate(this.#createSpare(), firstLsn);
    // The first segment of a start is made durable at once, header included: a start that logs
    // nothing (or dies before its first commit) must not leave a header the kernel never wrote,
    // which a later reader would take for a blank segment in the middle of the chain and cut the
    // acknowledged segments after it. Once per start, never on the write path.
    this.#files.fsync(this.#active!.fd);
    this.#spare = this.#createSpare();
  }

  #readHeader(filePath: string): ReturnType<typeof decodeSegmentHeader> {
    const fd = this.#files.openRead(filePath);
    try {
      const read = readFully(this.#files, fd, this.#header, 0, segmentHeaderBytes, 0);
      return decodeSegmentHeader(this.#header.subarray(0, read));
    } finally {
      this.#files.close(fd);
    }
  }

  /** Creates, sizes and fsyncs the next segment file and its directory entry. */
  #createSpare(): OpenSegment {
    const seq = this.#nextSeq++;
    const filePath = path.join(this.#directory, segmentFileName(seq));
    const fd = this.#files.create(filePath);
    this.#files.truncate(fd, this.#segmentBytes);
    this.#files.fsync(fd);
    this.#files.fsyncDirectory(this.#directory);
    this.#segmentsCreated++;
    return { seq, fd, filePath, offset: segmentHeaderBytes };
  }

  /** Makes `segment` the active one: writes its header (durable with its first fdatasync). */
  #activate(segment: OpenSegment, firstLsn: number): void {
    encodeSegmentHeader({ historyId: this.#historyId, firstLsn, seq: segment.seq }, this.#header);
    writeFully(this.#files, segment.fd, this.#header, 0, segmentHeaderBytes, 0);
    this.#active = segment;
    this.#segments.push({ seq: segment.seq, firstLsn, filePath: segment.filePath });
  }

  /** Creates the spare when rotation used it (throws on a file error; the caller fails the log). */
  prepareSpare(): void {
    if (this.#spare !== null || this.#active === null) return;
    this.#spare = this.#createSpare();
  }

  /**
   * Activates the spare (or a new segment when there is none) as the segment that starts at
   * `firstLsn`. The caller has already synced or taken over the fd of the segment it replaces.
   */
  activateNext(firstLsn: number): void {
    const next = this.#spare ?? this.#createSpare();
    this.#spare = null;
    this.#activate(next, firstLsn);
  }

  /** The segment records are written to; null before open() and after close(). */
  get active(): OpenSegment | null {
    return this.#active;
  }

  /** Closed segments and the active one. */
  get count(): number {
    return this.#segments.length;
  }

  get segmentsCreated(): number {
    return this.#segmentsCreated;
  }

  /**
   * Deletes closed segments whose records all have LSN <= lsn (the caller holds back `lsn` for
   * segments a replica still needs). The active segment is never deleted. Returns the count deleted.
   */
  dropBefore(lsn: number): number {
    let dropped = 0;
    // Bounded by the segment count; a segment is wholly <= lsn when the next one starts at <= lsn + 1.
    while (this.#segments.length > 1 && this.#segments[1]!.firstLsn - 1 <= lsn) {
      const oldest = this.#segments[0]!;
      if (this.#active !== null && oldest.seq === this.#active.seq) break;
      this.#files.unlink(oldest.filePath);
      this.#segments.shift();
      dropped++;
    }
    if (dropped > 0) this.#files.fsyncDirectory(this.#directory);
    return dropped;
  }

  /** The fds of the active segment and the spare, which are forgotten (the caller closes them). */
  takeOpenFds(): number[] {
    const fds: number[] = [];
    for (const segment of [this.#active, this.#spare]) if (segment !== null) fds.push(segment.fd);
    this.#active = null;
    this.#spare = null;
    return fds;
  }
}
