// TEST-ONLY. An in-memory FileLayer that remembers, per file, the bytes a crash would keep (the image
// as of the last fsync/fdatasync) and the bytes only the page cache holds; per directory, the entries
// as of the last directory fsync. `crash()` throws away everything not yet made durable, which a
// `kill -9` test cannot do (the kernel's page cache survives a killed process). It can also inject
// ENOSPC on write and EIO on fsync. Production code must never import this file.
//
// Simplification: after an injected EIO the durable image stays as it was (the bytes are lost at the
// next crash); the layer does not model the kernel marking the failed pages clean, because the WAL
// never retries a failed fsync (fsyncgate) and so cannot observe the difference.

import * as path from 'node:path';
import type { FileLayer } from './file-layer';

interface Inode {
  data: Uint8Array;
  size: number;
  durable: Uint8Array;
  durableSize: number;
}

function fsError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

export class FaultFileLayer implements FileLayer {
  #live = new Map<string, Inode>();
  #durableEntries = new Map<string, Inode>();
  #directories = new Set<string>();
  #fds = new Map<number, Inode>();
  #nextFd = 1000;
  #writeBytesLeft = Infinity;
  #fsyncFailuresPending = 0;
  #crashAtFsync = 0;
  /** Counters a test may read. */
  fsyncs = 0;
  bytesWritten = 0;

  /** From now on, writes succeed for `bytes` more bytes in total, then fail with ENOSPC. */
  failWritesAfter(bytes: number): void {
    this.#writeBytesLeft = bytes;
  }

  /** The next `count` fsync/fdatasync calls fail with EIO. */
  failNextFsyncs(count = 1): void {
    this.#fsyncFailuresPending = count;
  }

  /**
   * The `count`-th fsync/fdatasync from now never returns: the machine loses power first (crash())
   * and the call throws. Models a crash in the window between write() and the fsync that covers it.
   */
  crashAtFsync(count: number): void {
    this.#crashAtFsync = count;
  }

  /** Simulates power loss: every byte and directory entry not yet fsynced is gone; all fds close. */
  crash(): void {
    this.#fds.clear();
    this.#live = new Map(this.#durableEntries);
    for (const inode of this.#live.values()) {
      inode.data = inode.durable.slice(0, Math.max(inode.durableSize, 8));
      inode.size = inode.durableSize;
    }
    this.#writeBytesLeft = Infinity;
    this.#fsyncFailuresPending = 0;
    this.#crashAtFsync = 0;
  }

  #inode(fd: number): Inode {
    const inode = this.#fds.get(fd);
    if (inode === undefined) throw fsError('EBADF', `fd ${fd}`);
    return inode;
  }

  #open(inode: Inode): number {
    const fd = this.#nextFd++;
    this.#fds.set(fd, inode);
    return fd;
  }

  #requireDirectory(filePath: string): void {
    const directory = path.dirname(filePath);
    if (!this.#directories.has(directory)) throw fsError('ENOENT', `no directory ${directory}`);
  }

  create(filePath: string): number {
    this.#requireDirectory(filePath);
    if (this.#live.has(filePath)) throw fsError('EEXIST', filePath);
    const inode: Inode = { data: new Uint8Array(4096), size: 0, durable: new Uint8Array(0), durableSize: 0 };
    this.#live.set(filePath, inode);
    return this.#open(inode);
  }

  openReadWrite(filePath: string): number {
    const inode = this.#live.get(filePath);
    if (inode === undefined) throw fsError('ENOENT', filePath);
    return this.#open(inode);
  }

  openRead(filePath: string): number {
    return this.openReadWrite(filePath);
  }

  write(fd: number, bytes: Uint8Array, offset: number, length: number, position: number): number {
    const inode = this.#inode(fd);
    if (this.#writeBytesLeft <= 0) throw fsError('ENOSPC', 'no space left on device (injected)');
    const count = Math.min(length, this.#writeBytesLeft);
    this.#writeBytesLeft -= count;
    this.#grow(inode, position + count);
    inode.data.set(bytes.subarray(offset, offset + count), position);
    inode.size = Math.max(inode.size, position + count);
    this.bytesWritten += count;
    return count;
  }

  #grow(inode: Inode, size: number): void {
    if (size <= inode.data.length) return;
    let capacity = inode.data.length * 2;
    while (capacity < size) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(inode.data.subarray(0, inode.size));
    inode.data = grown;
  }

  read(fd: number, bytes: Uint8Array, offset: number, length: number, position: number): number {
    const inode = this.#inode(fd);
    const count = Math.max(0, Math.min(length, inode.size - position));
    bytes.set(inode.data.subarray(position, position + count), offset);
    return count;
  }

  fdatasync(fd: number): void {
    this.fsync(fd);
  }

  fsync(fd: number): void {
    const inode = this.#inode(fd);
    if (this.#crashAtFsync > 0 && --this.#crashAtFsync === 0) {
      this.crash();
      throw fsError('ECRASHED', 'the simulated machine lost power during this fsync');
    }
    if (this.#fsyncFailuresPending > 0) {
      this.#fsyncFailuresPending--;
      throw fsError('EIO', 'input/output error on fsync (injected)');
    }
    this.fsyncs++;
    inode.durable = inode.data.slice(0, inode.size);
    inode.durableSize = inode.size;
  }

  truncate(fd: number, length: number): void {
    const inode = this.#inode(fd);
    this.#grow(inode, length);
    if (length < inode.size) inode.data.fill(0, length, inode.size);
    inode.size = length;
  }

  size(fd: number): number {
    return this.#inode(fd).size;
  }

  close(fd: number): void {
    this.#inode(fd);
    this.#fds.delete(fd);
  }

  list(directory: string): string[] {
    const names: string[] = [];
    for (const filePath of this.#live.keys()) if (path.dirname(filePath) === directory) names.push(path.basename(filePath));
    return names.sort();
  }

  exists(filePath: string): boolean {
    return this.#live.has(filePath) || this.#directories.has(filePath);
  }

  unlink(filePath: string): void {
    if (!this.#live.delete(filePath)) throw fsError('ENOENT', filePath);
  }

  rename(source: string, target: string): void {
    const inode = this.#live.get(source);
    if (inode === undefined) throw fsError('ENOENT', source);
    this.#requireDirectory(target);
    this.#live.delete(source);
    this.#live.set(target, inode);
  }

  /** Directories are durable at once (a simplification: the WAL makes its directories at open). */
  mkdirs(directory: string): void {
    let current = directory;
    for (let depth = 0; depth < 64 && !this.#directories.has(current); depth++) {
      this.#directories.add(current);
      current = path.dirname(current);
    }
  }

  fsyncDirectory(directory: string): void {
    if (!this.#directories.has(directory)) throw fsError('ENOENT', directory);
    if (this.#fsyncFailuresPending > 0) {
      this.#fsyncFailuresPending--;
      throw fsError('EIO', 'input/output error on directory fsync (injected)');
    }
    for (const [filePath, inode] of [...this.#durableEntries]) {
      if (path.dirname(filePath) === directory && this.#live.get(filePath) !== inode) this.#durableEntries.delete(filePath);
    }
    for (const [filePath, inode] of this.#live) if (path.dirname(filePath) === directory) this.#durableEntries.set(filePath, inode);
  }
}
