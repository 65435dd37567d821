// Writes one snapshot file at a time through a FileLayer: header, framed chunks, footer, under a temp
// name; then fsync, rename to the final name, fsync the directory, and delete all but the newest
// `keep` snapshots. Thread-agnostic: the snapshot-writer worker drives it; tests drive it directly.

import * as path from 'node:path';
import { assert } from '../layout/assert';
import {
  type SnapshotMeta,
  chainChunkCrc,
  chunkFrameBytes,
  encodeChunkFrame,
  encodeSnapshotFooter,
  encodeSnapshotHeader,
  pad8,
  parseSnapshotFileName,
  snapshotFileName,
  snapshotTempSuffix,
  snapshotsKeptDefault,
} from '../layout/snapshot-format';
import { type FileLayer, writeFully } from '../layout/file-layer';


export interface SnapshotResult {
  path: string;
  bytes: number;
  records: number;
  ms: number;
}

interface InProgress {
  fd: number;
  tempPath: string;
  finalPath: string;
  offset: number;
  chunks: number;
  records: number;
  chainCrc: number;
  startedMs: number;
}

const zeros = new Uint8Array(8);

export class SnapshotWriter {
  readonly #files: FileLayer;
  readonly #directory: string;
  readonly #keep: number;
  readonly #frame = new Uint8Array(chunkFrameBytes);
  #current: InProgress | null = null;

  constructor(files: FileLayer, snapshotDirectory: string, keep = snapshotsKeptDefault) {
    assert(Number.isInteger(keep) && keep >= 1, 'keep at least one snapshot');
    this.#files = files;
    this.#directory = snapshotDirectory;
    this.#keep = keep;
  }

  get active(): boolean {
    return this.#current !== null;
  }

  begin(meta: SnapshotMeta): void {
    assert(this.#current === null, 'a snapshot is already being written');
    this.#files.mkdirs(this.#directory);
    this.#removeTemps();
    const finalPath = path.join(this.#directory, snapshotFileName(meta.startLsn));
    const tempPath = finalPath + snapshotTempSuffix;
    const fd = this.#files.create(tempPath);
    this.#current = { fd, tempPath, finalPath, offset: 0, chunks: 0, records: 0, chainCrc: 0, startedMs: performance.now() };
    this.#append(encodeSnapshotHeader(meta));
  }

  addChunk(bytes: Uint8Array, records: number): void {
    const current = this.#current;
    assert(current !== null, 'addChunk outside a snapshot');
    const crc = encodeChunkFrame(this.#frame, bytes, records);
    this.#append(this.#frame);
    this.#append(bytes);
    const padding = pad8(bytes.length) - bytes.length;
    if (padding > 0) this.#append(zeros.subarray(0, padding));
    current.chunks++;
    current.records += records;
    current.chainCrc = chainChunkCrc(current.chainCrc, crc);
  }

  #append(bytes: Uint8Array): void {
    const current = this.#current!;
    writeFully(this.#files, current.fd, bytes, 0, bytes.length, current.offset);
    current.offset += bytes.length;
  }

  finish(): SnapshotResult {
    const current = this.#current;
    assert(current !== null, 'finish outside a snapshot');
    this.#append(encodeSnapshotFooter({ chunks: current.chunks, records: current.records, chainCrc: current.chainCrc }));
    this.#files.fsync(current.fd);
    this.#current = null;
    this.#files.close(current.fd);
    try {
      this.#files.rename(current.tempPath, current.finalPath);
    } catch (error: unknown) {
      if (this.#files.exists(current.tempPath)) this.#files.unlink(current.tempPath);
      throw error;
    }
    this.#files.fsyncDirectory(this.#directory);
    this.#prune();
    return { path: current.finalPath, bytes: current.offset, records: current.records, ms: performance.now() - current.startedMs };
  }

  /** Drops the snapshot being written (its temp file goes); a no-op when none is. */
  abort(): void {
    const current = this.#current;
    if (current === null) return;
    this.#current = null;
    try {
      this.#files.close(current.fd);
    } finally {
      if (this.#files.exists(current.tempPath)) this.#files.unlink(current.tempPath);
    }
  }

  /** Temp files of writers that crashed are never complete: delete them. */
  #removeTemps(): void {
    for (const name of this.#files.list(this.#directory)) {
      if (name.startsWith('snapshot-') && name.endsWith(snapshotTempSuffix)) this.#files.unlink(path.join(this.#directory, name));
    }
  }

  #prune(): void {
    const snapshots = this.#files
      .list(this.#directory)
      .map((name) => ({ name, lsn: parseSnapshotFileName(name) }))
      .filter((entry) => entry.lsn >= 0)
      .sort((left, right) => right.lsn - left.lsn);
    const old = snapshots.slice(this.#keep);
    for (const entry of old) this.#files.unlink(path.join(this.#directory, entry.name));
    if (old.length > 0) this.#files.fsyncDirectory(this.#directory);
  }
}
