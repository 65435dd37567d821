// An old primary (or a replica that followed it further than the promoted one) rejoining as a
// replica of the promoted node: its data dir goes on past the switch LSN of the new primary's
// history (the changes the promoted node never received). Before recovery, this cuts the data dir
// back to the switch, so recovery ends at switchLsn - 1 in the OLD history, which the new primary
// continues: the replica's hello then gets a partial sync (memory or WAL), not a full one.
//
//   WAL:        ... | switchLsn-1 ‖ switchLsn ... lastLsn        cut at ‖ (wal-reader truncateAfterLsn)
//   snapshots:  those started at or after switchLsn hold divergent changes: deleted; so are those
//               that may have copied a divergent change while they ran (a snapshot is fuzzy: it
//               holds changes up to when it finished, and its file does not say which LSN that was)
//
// A snapshot is kept only when its file was last written before the earliest lastModified of the
// tail: a change's lastModified is at or before the moment it was applied (a delete carries the
// removed record's older time, which only makes the test stricter), so such a snapshot finished
// copying before any divergent change existed. (A wall clock stepped back between the two would
// defeat this; the stamps and the file times come from the same machine's clock.)
//
// The cut is made only when what stays recovers to exactly switchLsn - 1: the newest complete
// snapshot left, then the WAL from its LSN without a gap up to switchLsn - 1. Otherwise nothing is
// touched and the replica gets a full sync (which empties the data dir anyway). Order, for a crash
// at any step: the snapshots go first (a crash then recovers the older snapshot + the whole WAL,
// tail included, and the next start cuts again), then the WAL is cut.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { nodeFileLayer, type FileLayer } from '../layout/file-layer';
import { parseSnapshotFileName } from '../layout/snapshot-format';
import { sameHistory } from '../layout/wal-segment-header';
import type { DataDir } from './data-dir';
import { SnapshotReader } from './snapshot-reader';
import { WalGapError, WalReader } from './wal-reader';

/** Where the new primary's history left ours (its /status: previousHistoryId, switchLsn). */
export interface RejoinPoint {
  previousHistoryId: Uint8Array;
  /** The first LSN of the new primary's own history. */
  switchLsn: number;
}

export type DivergentTailReport =
  | { cut: true; switchLsn: number; droppedChanges: number; droppedKeys: number; droppedSnapshots: number }
  | { cut: false; switchLsn: number; droppedChanges: number; reason: string };

/** Keys of the tail counted at most (the count is for the log; the set must not grow unbounded). */
const tailKeysCountedMax = 1_000_000;

/** Cuts the data dir back to point.switchLsn - 1 when it holds a divergent tail; null when it holds none. */
export function dropDivergentTail(dataDir: DataDir, point: RejoinPoint): DivergentTailReport | null {
  const history = dataDir.history;
  if (!sameHistory(history.historyId, point.previousHistoryId) || point.switchLsn < 1) return null;
  const readerOptions = { walDirectory: dataDir.walDirectory, historyId: history.historyId, previousHistoryId: history.previousHistoryId };
  const tail = readTail(new WalReader({ ...readerOptions, fromLsn: point.switchLsn - 1, readOnly: true, skipCovered: true }));
  const snapshots = fs.readdirSync(dataDir.snapshotDirectory).filter((name) => parseSnapshotFileName(name) >= 0);
  const dropped = new Set(snapshots.filter((name) => {
    if (parseSnapshotFileName(name) >= point.switchLsn) return true;
    return tail.changes > 0 && fs.statSync(path.join(dataDir.snapshotDirectory, name)).mtimeMs >= tail.earliestModifiedMs;
  }));
  if (tail.changes === 0 && dropped.size === 0) return null;
  const refuse = (reason: string): DivergentTailReport => ({ cut: false, switchLsn: point.switchLsn, droppedChanges: tail.changes, reason });
  if (tail.failure !== null) return refuse(tail.failure);
  // The snapshot recovery will take once the dropped ones are gone (checked whole, as recovery does).
  const files: FileLayer = { ...nodeFileLayer, list: (directory) => nodeFileLayer.list(directory).filter((name) => !dropped.has(name)) };
  const kept = new SnapshotReader({ snapshotDirectory: dataDir.snapshotDirectory, historyId: history.historyId, previousHistoryId: history.previousHistoryId, files }).findNewest();
  const fromLsn = kept?.startLsn ?? 0;
  const reach = walReaches(new WalReader({ ...readerOptions, fromLsn, readOnly: true, skipCovered: true }), fromLsn, point.switchLsn - 1);
  if (reach !== null) return refuse(reach);
  for (const name of dropped) fs.rmSync(path.join(dataDir.snapshotDirectory, name), { force: true });
  nodeFileLayer.fsyncDirectory(dataDir.snapshotDirectory);
  const cutter = new WalReader({ ...readerOptions, fromLsn, truncateAfterLsn: point.switchLsn - 1 });
  for (const _record of cutter.records()) {
    // Iterated to the end: the cut happens when the reader meets the first record past it.
  }
  return { cut: true, switchLsn: point.switchLsn, droppedChanges: tail.changes, droppedKeys: tail.keys, droppedSnapshots: dropped.size };
}

interface Tail {
  changes: number;
  keys: number;
  /** The earliest lastModified of the tail's changes (ms); +Infinity for an empty tail. */
  earliestModifiedMs: number;
  failure: string | null;
}

/** The changes at and after the switch: how many, on how many keys, and their earliest stamp. */
function readTail(reader: WalReader): Tail {
  const tail: Tail = { changes: 0, keys: 0, earliestModifiedMs: Number.POSITIVE_INFINITY, failure: null };
  const keys = new Set<string>();
  try {
    for (const record of reader.records()) {
      const change = record.toChange();
      tail.changes++;
      tail.earliestModifiedMs = Math.min(tail.earliestModifiedMs, change.lastModified);
      if (keys.size < tailKeysCountedMax) keys.add(`${change.ns}\u0000${Buffer.from(change.key).toString('latin1')}`);
    }
  } catch (error: unknown) {
    tail.failure = error instanceof WalGapError ? `the WAL does not reach back to the switch: ${error.message}` : `the WAL could not be read: ${error instanceof Error ? error.message : String(error)}`;
  }
  tail.keys = keys.size;
  return tail;
}

/** Null when the WAL holds every record after fromLsn up to throughLsn without a gap; else why not. */
function walReaches(reader: WalReader, fromLsn: number, throughLsn: number): string | null {
  if (throughLsn <= fromLsn) return null;
  try {
    for (const record of reader.records()) {
      if (record.lsn >= throughLsn) return null;
    }
  } catch (error: unknown) {
    return `the WAL after the kept snapshot (LSN ${fromLsn}) cannot be read: ${error instanceof Error ? error.message : String(error)}`;
  }
  return `the WAL after the kept snapshot (LSN ${fromLsn}) ends before LSN ${throughLsn}`;
}
