// The data dir: `LOCK` (one server per dir), `HISTORY` (the history identity), `wal/`, `snapshots/`.
//
// LOCK holds the PID of the process that owns the dir. It is created with O_EXCL; a second process
// finds it, sees the holder alive (kill(pid, 0)) and refuses to start with a message naming the dir
// and the PID. A LOCK left by a dead process (kill -9, power loss) is taken over. Node has no flock,
// so two processes taking over the same stale lock at the same instant could both win; the window is
// the few microseconds between unlink and create, only ever after a crash.
//
// LOCK also names the dir it was taken in (device and inode): a backup made with `cp -r` while the
// server runs copies LOCK too, naming a live PID that holds a different dir. A lock whose dir
// identity is not the dir it sits in is such a copy, and is taken over like a dead holder's. The
// inode, not the path, decides: a copy always gets a new inode, while the same dir reached by
// another path (a symlink, a bind mount) keeps it. A LOCK of the first format (a PID only) is
// judged by its PID alone.
//
// HISTORY is JSON: the history id (16 random bytes, minted when the dir is created), and for a later
// promotion the previous history id and the LSN where the history switched. It is replaced atomically.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { historyIdBytes } from '../layout/wal-segment-header';
import { isCode, nodeFileLayer, writeFileAtomic } from '../layout/file-layer';

export const lockFileName = 'LOCK';
export const historyFileName = 'HISTORY';
export const walDirectoryName = 'wal';
export const snapshotDirectoryName = 'snapshots';
const historyFormat = 1;
/** Attempts to take the lock (each either wins, meets a live holder, or removes a dead one's file). */
const lockAttemptsMax = 3;

export interface History {
  historyId: Uint8Array;
  /** The history this one continued from (after a promotion), or null. */
  previousHistoryId: Uint8Array | null;
  /** The first LSN of this history when it continued another; 0 otherwise. */
  switchLsn: number;
}

/** The dir is held by a live process. */
export class DataDirLockedError extends Error {
  readonly holderPid: number;
  constructor(directory: string, holderPid: number) {
    const who = holderPid === process.pid ? 'this process' : `process ${holderPid}`;
    super(`data dir ${directory} is in use by ${who} (lock file ${path.join(directory, lockFileName)}): one server per data dir`);
    this.name = 'DataDirLockedError';
    this.holderPid = holderPid;
  }
}

export class DataDir {
  readonly directory: string;
  readonly walDirectory: string;
  readonly snapshotDirectory: string;
  /** True when this open minted the history (a new data dir). */
  readonly created: boolean;
  #history: History;
  #locked = true;

  private constructor(directory: string, history: History, created: boolean) {
    this.directory = directory;
    this.walDirectory = path.join(directory, walDirectoryName);
    this.snapshotDirectory = path.join(directory, snapshotDirectoryName);
    this.#history = history;
    this.created = created;
  }

  /** Creates the dir if missing, takes its lock, and reads (or mints) its history. Synchronous: start-up only. */
  static open(directory: string): DataDir {
    const absolute = path.resolve(directory);
    fs.mkdirSync(absolute, { recursive: true });
    takeLock(absolute);
    try {
      fs.mkdirSync(path.join(absolute, walDirectoryName), { recursive: true });
      fs.mkdirSync(path.join(absolute, snapshotDirectoryName), { recursive: true });
      const existing = readHistory(absolute);
      if (existing !== null) return new DataDir(absolute, existing, false);
      const walFiles = fs.readdirSync(path.join(absolute, walDirectoryName)).filter((name) => name.endsWith('.wal'));
      if (walFiles.length > 0) {
        throw new Error(`data dir ${absolute} holds WAL segments but no ${historyFileName} file: refusing to mint a new history over them`);
      }
      const history: History = { historyId: new Uint8Array(randomBytes(historyIdBytes)), previousHistoryId: null, switchLsn: 0 };
      writeHistory(absolute, history);
      // A new dir: make its own entry and those of wal/ and snapshots/ durable (mkdir is not).
      nodeFileLayer.fsyncDirectory(absolute);
      nodeFileLayer.fsyncDirectory(path.dirname(absolute));
      return new DataDir(absolute, history, true);
    } catch (error: unknown) {
      releaseLock(absolute);
      throw error;
    }
  }

  get history(): History {
    return { ...this.#history, historyId: this.#history.historyId.slice() };
  }

  get historyId(): Uint8Array {
    return this.#history.historyId.slice();
  }

  /** Replaces the history (a promotion): atomic and durable before it returns. */
  replaceHistory(next: History): void {
    if (next.historyId.length !== historyIdBytes) throw new RangeError('a history id is 16 bytes');
    writeHistory(this.directory, next);
    this.#history = { ...next, historyId: next.historyId.slice() };
  }

  /** Releases the lock (idempotent). */
  close(): void {
    if (!this.#locked) return;
    this.#locked = false;
    releaseLock(this.directory);
  }
}

function takeLock(directory: string): void {
  const lockPath = path.join(directory, lockFileName);
  for (let attempt = 0; attempt < lockAttemptsMax; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      try {
        fs.writeSync(fd, `${process.pid}\n${directoryIdentity(directory)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      return;
    } catch (error: unknown) {
      if (!isCode(error, 'EEXIST')) throw error;
    }
    const lock = readLock(lockPath);
    const copied = lock !== null && lock.identity !== null && lock.identity !== directoryIdentity(directory);
    if (lock !== null && !copied && isAlive(lock.pid)) throw new DataDirLockedError(directory, lock.pid);
    // A dead holder, a lock copied from another dir, or a lock file torn by a crash before its PID
    // was written: take it over.
    try {
      fs.unlinkSync(lockPath);
    } catch (error: unknown) {
      if (!isCode(error, 'ENOENT')) throw error;
    }
  }
  throw new Error(`data dir ${directory}: could not take the lock file ${lockPath} after ${lockAttemptsMax} attempts`);
}

interface LockContent {
  pid: number;
  /** `dev:ino` of the dir the lock was taken in; null in a lock of the first format. */
  identity: string | null;
}

/** The identity a lock records: device and inode of the dir (a copy of the dir has another inode). */
function directoryIdentity(directory: string): string {
  const stat = fs.statSync(directory, { bigint: true });
  return `${stat.dev}:${stat.ino}`;
}

/** The lock's content; null when it is missing or holds no valid PID (torn by a crash). */
function readLock(lockPath: string): LockContent | null {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (error: unknown) {
    if (isCode(error, 'ENOENT')) return null;
    throw error;
  }
  const [pidLine = '', identityLine = ''] = text.split('\n');
  const pid = Number.parseInt(pidLine.trim(), 10);
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  const identity = /^\d+:\d+$/.test(identityLine.trim()) ? identityLine.trim() : null;
  return { pid, identity };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    // EPERM: the process exists but belongs to another user.
    return isCode(error, 'EPERM');
  }
}

function releaseLock(directory: string): void {
  const lockPath = path.join(directory, lockFileName);
  const lock = readLock(lockPath);
  // Only our own lock of this very dir: never a copy that happens to name this PID.
  if (lock !== null && lock.pid === process.pid && (lock.identity === null || lock.identity === directoryIdentity(directory))) fs.unlinkSync(lockPath);
}

interface HistoryJson {
  format: number;
  historyId: string;
  previousHistoryId: string | null;
  switchLsn: number;
}

function readHistory(directory: string): History | null {
  const filePath = path.join(directory, historyFileName);
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (error: unknown) {
    if (isCode(error, 'ENOENT')) return null;
    throw error;
  }
  const hex = /^[0-9a-f]{32}$/;
  let parsed: HistoryJson;
  try {
    parsed = JSON.parse(text) as HistoryJson;
  } catch {
    throw new Error(`data dir ${directory}: ${historyFileName} is not valid JSON`);
  }
  const valid =
    parsed.format === historyFormat &&
    typeof parsed.historyId === 'string' && hex.test(parsed.historyId) &&
    (parsed.previousHistoryId === null || (typeof parsed.previousHistoryId === 'string' && hex.test(parsed.previousHistoryId))) &&
    Number.isSafeInteger(parsed.switchLsn) && parsed.switchLsn >= 0;
  if (!valid) throw new Error(`data dir ${directory}: ${historyFileName} is damaged or of an unknown format`);
  return {
    historyId: new Uint8Array(Buffer.from(parsed.historyId, 'hex')),
    previousHistoryId: parsed.previousHistoryId === null ? null : new Uint8Array(Buffer.from(parsed.previousHistoryId, 'hex')),
    switchLsn: parsed.switchLsn,
  };
}

function writeHistory(directory: string, history: History): void {
  const json: HistoryJson = {
    format: historyFormat,
    historyId: Buffer.from(history.historyId).toString('hex'),
    previousHistoryId: history.previousHistoryId === null ? null : Buffer.from(history.previousHistoryId).toString('hex'),
    switchLsn: history.switchLsn,
  };
  writeFileAtomic(nodeFileLayer, path.join(directory, historyFileName), Buffer.from(`${JSON.stringify(json, null, 2)}\n`));
}
