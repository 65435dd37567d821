// The file operations the WAL and the snapshot writer need, behind one interface so tests can swap in
// a layer that simulates a crash (fault-file-layer.ts, test-only). Every call is synchronous: these
// run on the log-writer and snapshot-writer worker threads, never on libuv's shared pool (whose four
// threads also serve dns and crypto) and never on the front thread.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FileLayer {
  /** Creates a new file for writing; fails if it exists (EEXIST). */
  create(filePath: string): number;
  /** Opens an existing file for reading and writing. */
  openReadWrite(filePath: string): number;
  openRead(filePath: string): number;
  /** Writes bytes[offset, offset+length) at `position`; returns the bytes written (may be short). */
  write(fd: number, bytes: Uint8Array, offset: number, length: number, position: number): number;
  read(fd: number, bytes: Uint8Array, offset: number, length: number, position: number): number;
  /** Data (and the size when it changed) reach the disk before this returns. */
  fdatasync(fd: number): void;
  fsync(fd: number): void;
  truncate(fd: number, length: number): void;
  size(fd: number): number;
  close(fd: number): void;
  /** Names in a directory (not paths); [] when it does not exist. */
  list(directory: string): string[];
  exists(filePath: string): boolean;
  unlink(filePath: string): void;
  rename(source: string, target: string): void;
  mkdirs(directory: string): void;
  /** Makes creates, renames and unlinks in `directory` durable. */
  fsyncDirectory(directory: string): void;
}

/** The real layer: node:fs synchronous calls. */
export const nodeFileLayer: FileLayer = {
  create: (filePath) => fs.openSync(filePath, 'wx+'),
  openReadWrite: (filePath) => fs.openSync(filePath, 'r+'),
  openRead: (filePath) => fs.openSync(filePath, 'r'),
  write: (fd, bytes, offset, length, position) => fs.writeSync(fd, bytes, offset, length, position),
  read: (fd, bytes, offset, length, position) => fs.readSync(fd, bytes, offset, length, position),
  fdatasync: (fd) => fs.fdatasyncSync(fd),
  fsync: (fd) => fs.fsyncSync(fd),
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  size: (fd) => fs.fstatSync(fd).size,
  close: (fd) => fs.closeSync(fd),
  list: (directory) => {
    try {
      return fs.readdirSync(directory);
    } catch (error: unknown) {
      if (isCode(error, 'ENOENT')) return [];
      throw error;
    }
  },
  exists: (filePath) => fs.existsSync(filePath),
  unlink: (filePath) => fs.unlinkSync(filePath),
  rename: (source, target) => fs.renameSync(source, target),
  mkdirs: (directory) => {
    fs.mkdirSync(directory, { recursive: true });
  },
  fsyncDirectory: (directory) => {
    const fd = fs.openSync(directory, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
};

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** Writes all of bytes[offset, offset+length) at `position`, looping over short writes. */
export function writeFully(layer: FileLayer, fd: number, bytes: Uint8Array, offset: number, length: number, position: number): void {
  let done = 0;
  // Bounded: each pass writes at least one byte or throws.
  while (done < length) {
    const written = layer.write(fd, bytes, offset + done, length - done, position + done);
    if (written <= 0) throw Object.assign(new Error('write returned no progress'), { code: 'EIO' });
    done += written;
  }
}

/** Reads up to `length` bytes at `position`, looping over short reads; returns the bytes read. */
export function readFully(layer: FileLayer, fd: number, bytes: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const read = layer.read(fd, bytes, offset + done, length - done, position + done);
    if (read <= 0) break;
    done += read;
  }
  return done;
}

/**
 * Replaces `filePath` with `bytes` atomically and durably: write a temp file, fsync it, rename it over
 * the target, fsync the directory. A crash leaves either the old file or the new one, never a mix.
 */
export function writeFileAtomic(layer: FileLayer, filePath: string, bytes: Uint8Array): void {
  const temp = `${filePath}.tmp-${process.pid}`;
  if (layer.exists(temp)) layer.unlink(temp);
  const fd = layer.create(temp);
  try {
    writeFully(layer, fd, bytes, 0, bytes.length, 0);
    layer.fsync(fd);
  } finally {
    layer.close(fd);
  }
  layer.rename(temp, filePath);
  layer.fsyncDirectory(path.dirname(filePath));
}

/** The whole file (allocates); null when it does not exist. */
export function readWholeFile(layer: FileLayer, filePath: string): Uint8Array | null {
  if (!layer.exists(filePath)) return null;
  const fd = layer.openRead(filePath);
  try {
    const size = layer.size(fd);
    const bytes = new Uint8Array(size);
    const read = readFully(layer, fd, bytes, 0, size, 0);
    return bytes.subarray(0, read);
  } finally {
    layer.close(fd);
  }
}

/** TEST-ONLY fault hooks that can reach a worker through workerData (plain numbers, cloneable). */
export interface TestOnlyFaults {
  /** Writes succeed for this many bytes in total, then fail with ENOSPC. */
  writeBytesMax?: number;
  /** This many fsync/fdatasync calls succeed, then every later one fails with EIO. */
  fsyncsBeforeFailure?: number;
  /** Every fsync/fdatasync blocks its thread this long before it runs (a slow disk, for barrier tests). */
  fsyncDelayMs?: number;
}

/**
 * TEST-ONLY: wraps a layer to inject ENOSPC and EIO, so the end-to-end tests of the real workers can
 * show a disk fault reaching the main thread. Production passes no faults and gets `layer` itself.
 */
export function withTestOnlyFaults(layer: FileLayer, faults: TestOnlyFaults | undefined): FileLayer {
  if (faults === undefined) return layer;
  let writeBytesLeft = faults.writeBytesMax ?? Infinity;
  let fsyncsLeft = faults.fsyncsBeforeFailure ?? Infinity;
  const fail = (code: string, what: string): never => {
    throw Object.assign(new Error(`${code}: ${what} (test-only fault)`), { code });
  };
  const delayMs = faults.fsyncDelayMs ?? 0;
  // Atomics.wait on a cell nobody notifies: a plain sleep of this worker thread.
  const sleepCell = new Int32Array(new SharedArrayBuffer(4));
  const sync = (call: (fd: number) => void) => (fd: number): void => {
    if (delayMs > 0) Atomics.wait(sleepCell, 0, 0, delayMs);
    if (fsyncsLeft <= 0) fail('EIO', 'input/output error on fsync');
    fsyncsLeft--;
    call(fd);
  };
  return {
    ...layer,
    write: (fd, bytes, offset, length, position) => {
      if (writeBytesLeft <= 0) fail('ENOSPC', 'no space left on device');
      const count = Math.min(length, writeBytesLeft);
      writeBytesLeft -= count;
      return layer.write(fd, bytes, offset, count, position);
    },
    fdatasync: sync(layer.fdatasync),
    fsync: sync(layer.fsync),
  };
}
