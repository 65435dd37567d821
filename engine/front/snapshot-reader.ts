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
import { sameHistory } from '../layout/wal-segment-header';
import { type FileLayer, nodeFileLayer, readFully } from '../layout/file-layer';

export interface SnapshotInfo extends SnapshotMeta {
  path: string;
  chunks: number;
  records: number;
  bytes: number;
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

  /** Yields the chunks of a snapshot findNewest() returned, verifying them again. */
  *chunks(info: SnapshotInfo): Generator<SnapshotChunk> {
    const fd = this.#files.openRead(info.path);
    try {
      let at = this.#readHeader(fd, info.bytes).length;
      let chain = 0;
      for (let index = 0; index < info.chunks; index++) {
        const chunk = this.#readChunk(fd, at, info.bytes);
        chain = chainChunkCrc(chain, chunk.crc);
        at = chunk.next;
        yield { bytes: chunk.bytes, records: chunk.records };
      }
      const footer = this.#readFooter(fd, at, info.bytes);
      if (footer.chainCrc !== chain) throw new SnapshotDamage('the chunk checksum chain does not match the footer');
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
      // Bounded by the file size: each chunk moves `at` forward by at least a frame.
      while (at + 4 <= size && this.#peekLength(fd, at) !== chunkLengthFooter) {
        const chunk = this.#readChunk(fd, at, size);
        chain = chainChunkCrc(chain, chunk.crc);
        chunks++;
        records += chunk.records;
        at = chunk.next;
      }
      const footer = this.#readFooter(fd, at, size);
      if (footer.chunks !== chunks || footer.records !== records || footer.chainCrc !== chain) {
        throw new SnapshotDamage('the footer does not match the chunks');
      }
      if (at + footerBytes !== size) throw new SnapshotDamage('bytes after the footer');
      return { ...header.meta, path: filePath, chunks, records, bytes: size };
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
