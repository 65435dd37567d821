// Finds the newest COMPLETE snapshot (valid header, every chunk checksum, a footer whose counts and
// checksum chain match) and yields its chunks. A damaged or incomplete snapshot is reported in
// `rejected` and the next older one is tried, so recovery never starts from silently wrong data.
// Verification reads the whole file once before anything is yielded; `chunks()` reads it again and
// checks again (a file that changed in between throws instead of yielding bad bytes).

import * as path from 'node:path';
import {
  type SnapshotMeta,
  chainChunkCrc,
  checkChunk,
  chunkFrameBytes,
  chunkLengthFooter,
  decodeSnapshotFooter,
  decodeSnapshotHeader,
  footerBytes,
  pad8,
  parseSnapshotFileName,
  snapshotChunkBytesMax,
  snapshotHeaderLength,
} from '../layout/snapshot-format';
import { assert } from '../layout/assert';
import { sameHistory } from '../layout/wal-segment-header';
import { type FileLayer, nodeFileLayer, readFully } from '../layout/file-layer';

export interface SnapshotInfo extends SnapshotMeta {
  path: string;
  chunks: number;
  records: number;
  bytes: number;
  /** Where each chunk's frame starts, and its checksum, as verified (chunks() re-reads by them). */
  chunkOffsets: number[];
  chunkCrcs: number[];
}

export interface SnapshotChunk {
  /** A view into a reused buffer: valid until the next chunk is read. */
  bytes: Uint8Array;
  records: number;
}

export interface SnapshotReaderOptions {
  snapshotDirectory: string;
  /** When given, snapshots of another history are rejected. */
  historyId?: Uint8Array;
  /** After a promotion: snapshots of the history this one continued are accepted too. */
  previousHistoryId?: Uint8Array | null;
  files?: FileLayer;
}

class SnapshotDamage extends Error {}

/** Chunk indexes 0..count-1, one from each of `lanes` equal runs in turn (lanes 1: in order). */
export function interleavedOrder(count: number, lanes: number): number[] {
  const runs = Math.min(lanes, Math.max(count, 1));
  const starts = Array.from({ length: runs + 1 }, (_, lane) => Math.round((lane * count) / runs));
  const order: number[] = [];
  // Bounded by count: every pass takes at least one index until all runs are empty.
  for (let step = 0; order.length < count; step++) {
    for (let lane = 0; lane < runs; lane++) if (starts[lane]! + step < starts[lane + 1]!) order.push(starts[lane]! + step);
  }
  assert(order.length === count, 'interleaved order covers every chunk once');
  return order;
}

export class SnapshotReader {
  readonly rejected: { path: string; reason: string }[] = [];
  readonly #options: SnapshotReaderOptions;
  readonly #files: FileLayer;
  readonly #frame = new Uint8Array(chunkFrameBytes);
  #buffer = new Uint8Array(64 * 1024);

  constructor(options: SnapshotReaderOptions) {
    this.#options = options;
    this.#files = options.files ?? nodeFileLayer;
  }

  /** The newest complete snapshot, or null when there is none. */
  findNewest(): SnapshotInfo | null {
    const candidates = this.#files
      .list(this.#options.snapshotDirectory)
      .map((name) => ({ name, lsn: parseSnapshotFileName(name) }))
      .filter((entry) => entry.lsn >= 0)
      .sort((left, right) => right.lsn - left.lsn);
    for (const candidate of candidates) {
      const filePath = path.join(this.#options.snapshotDirectory, candidate.name);
      try {
        const info = this.#verify(filePath);
        if (info.startLsn !== candidate.lsn) throw new SnapshotDamage(`its header says start LSN ${info.startLsn}`);
        return info;
      } catch (error: unknown) {
        if (!(error instanceof SnapshotDamage)) throw error;
        this.rejected.push({ path: filePath, reason: error.message });
      }
    }
    return null;
  }

  /**
   * Yields the chunks of a snapshot findNewest() returned, each read again and checked against the
   * checksum it had when verified (so a file changed since then throws instead of yielding bad bytes).
   * `lanes` > 1 interleaves the order: the chunk sequence is cut into that many equal runs and one
   * chunk is taken from each in turn. A snapshot is written shard after shard, so in file order a
   * recovery feeds one shard at a time while the others idle; with a lane per shard each is fed
   * from its own part of the file. The order is free: a snapshot holds each key once.
   */
  *chunks(info: SnapshotInfo, lanes = 1): Generator<SnapshotChunk> {
    assert(Number.isInteger(lanes) && lanes >= 1, 'snapshot read lanes: a positive integer');
    const fd = this.#files.openRead(info.path);
    try {
      for (const index of interleavedOrder(info.chunks, lanes)) {
        const chunk = this.#readChunk(fd, info.chunkOffsets[index]!, info.bytes);
        if (chunk.crc !== info.chunkCrcs[index]) throw new SnapshotDamage(`chunk ${index} changed since the snapshot was verified`);
        yield { bytes: chunk.bytes, records: chunk.records };
      }
    } finally {
      this.#files.close(fd);
    }
  }

  /** Reads the whole file once, checking every checksum and the footer; throws SnapshotDamage. */
  #verify(filePath: string): SnapshotInfo {
    const fd = this.#files.openRead(filePath);
    try {
      const size = this.#files.size(fd);
      const header = this.#readHeader(fd, size);
      let at = header.length;
      let chain = 0;
      let chunks = 0;
      let records = 0;
      const chunkOffsets: number[] = [];
      const chunkCrcs: number[] = [];
      // Bounded by the file size: each chunk moves `at` forward by at least a frame.
      while (at + 4 <= size && this.#peekLength(fd, at) !== chunkLengthFooter) {
        const chunk = this.#readChunk(fd, at, size);
        chain = chainChunkCrc(chain, chunk.crc);
        chunkOffsets.push(at);
        chunkCrcs.push(chunk.crc);
        chunks++;
        records += chunk.records;
        at = chunk.next;
      }
      const footer = this.#readFooter(fd, at, size);
      if (footer.chunks !== chunks || footer.records !== records || footer.chainCrc !== chain) {
        throw new SnapshotDamage('the footer does not match the chunks');
      }
      if (at + footerBytes !== size) throw new SnapshotDamage('bytes after the footer');
      return { ...header.meta, path: filePath, chunks, records, bytes: size, chunkOffsets, chunkCrcs };
    } finally {
      this.#files.close(fd);
    }
  }

  #readHeader(fd: number, size: number): { meta: SnapshotMeta; length: number } {
    const first = new Uint8Array(16);
    if (readFully(this.#files, fd, first, 0, 16, 0) < 16) throw new SnapshotDamage('shorter than a header');
    const length = snapshotHeaderLength(first);
    if (length < 0 || length > size) throw new SnapshotDamage('not a snapshot header');
    const bytes = new Uint8Array(length);
    readFully(this.#files, fd, bytes, 0, length, 0);
    const meta = decodeSnapshotHeader(bytes);
    if (meta === null) throw new SnapshotDamage('the header checksum is wrong');
    const expected = this.#options.historyId;
    const previous = this.#options.previousHistoryId;
    if (expected !== undefined && !sameHistory(meta.historyId, expected) && !(previous != null && sameHistory(meta.historyId, previous))) throw new SnapshotDamage('it belongs to another history');
    return { meta, length };
  }

  #peekLength(fd: number, at: number): number {
    readFully(this.#files, fd, this.#frame, 0, 4, at);
    return new DataView(this.#frame.buffer).getUint32(0, true);
  }

  #readChunk(fd: number, at: number, size: number): { bytes: Uint8Array; records: number; crc: number; next: number } {
    if (readFully(this.#files, fd, this.#frame, 0, chunkFrameBytes, at) < chunkFrameBytes) throw new SnapshotDamage(`torn chunk frame at byte ${at}`);
    const view = new DataView(this.#frame.buffer);
    const length = view.getUint32(0, true);
    if (length > snapshotChunkBytesMax || at + chunkFrameBytes + length > size) throw new SnapshotDamage(`bad chunk length at byte ${at}`);
    if (length > this.#buffer.length) this.#buffer = new Uint8Array(Math.max(length, this.#buffer.length * 2));
    const bytes = this.#buffer.subarray(0, length);
    if (readFully(this.#files, fd, bytes, 0, length, at + chunkFrameBytes) < length) throw new SnapshotDamage(`torn chunk at byte ${at}`);
    const crc = checkChunk(this.#frame, bytes);
    if (crc === null) throw new SnapshotDamage(`chunk checksum wrong at byte ${at}`);
    return { bytes, records: view.getUint32(4, true), crc, next: at + chunkFrameBytes + pad8(length) };
  }

  #readFooter(fd: number, at: number, size: number): { chunks: number; records: number; chainCrc: number } {
    const bytes = new Uint8Array(footerBytes);
    if (at + footerBytes > size || readFully(this.#files, fd, bytes, 0, footerBytes, at) < footerBytes) throw new SnapshotDamage('no footer: the snapshot is incomplete');
    const footer = decodeSnapshotFooter(bytes);
    if (footer === null) throw new SnapshotDamage('the footer is damaged');
    return footer;
  }
}
