// The server's view of the node's persistence: the engine's data dir, WAL, snapshot and recovery
// figures, and its snapshot command. The server takes it apart from EngineApi because a test may
// wrap the engine (engine-delay.fixture.ts), and a node without persistence simply has none.
// engine/front/engine.ts's Engine is one (`persistenceStats`, `snapshot`, `ready`).

import type { PersistenceStats } from '../../engine/front/persistence';
import type { SnapshotReport } from '../../engine/front/snapshot-taker';

export interface PersistenceSource {
  /** Resolves when recovery is done; rejects if it failed. */
  readonly ready: Promise<void>;
  /** Null for a node that does not persist. */
  persistenceStats(): PersistenceStats | null;
  snapshot(): Promise<SnapshotReport>;
}

/**
 * "Still recovering": true until `ready` resolves, which is when the engine stops answering
 * Recovering (the persistence's own state turns ready a little earlier, while the engine still
 * refuses). Cheap enough for per-request use (a subscribe).
 */
export function recoveryFlag(source: PersistenceSource | null): () => boolean {
  let recovering = source !== null && source.persistenceStats() !== null;
  if (recovering && source !== null) {
    source.ready.then(
      () => (recovering = false),
      () => undefined, // a failed recovery stops the node; it stays "recovering" until then
    );
  }
  return () => recovering;
}

/** The `persistence` object of /status (false for a node without persistence). */
export function persistenceDocument(source: PersistenceSource | null, recovering: boolean, nowMs: number): Record<string, unknown> | false {
  const stats = source?.persistenceStats() ?? null;
  if (stats === null) return false;
  const snapshot = stats.lastSnapshot;
  const recovery = stats.recovery;
  return {
    dataDir: stats.dataDir,
    historyId: stats.historyId,
    fsync: stats.fsync,
    state: recovering && stats.state !== 'failed' ? 'recovering' : stats.state,
    failure: stats.failure,
    durableLsn: stats.durableLsn,
    writtenLsn: stats.writtenLsn,
    walBytes: stats.walBytes,
    walSegments: stats.walSegments,
    fsyncs: stats.fsyncs,
    snapshotsTaken: stats.snapshotsTaken,
    snapshotFailures: stats.snapshotFailures,
    lastSnapshot: snapshot === null ? null : {
      lsn: snapshot.lsn,
      ageSec: Math.max(0, Math.round((nowMs - snapshot.finishedAt) / 1000)),
      records: snapshot.records,
      bytes: snapshot.bytes,
      ms: snapshot.ms,
      path: snapshot.path,
    },
    recovery: recovery === null ? null : {
      ms: recovery.ms,
      snapshotLsn: recovery.snapshotLsn,
      snapshotRecords: recovery.snapshotRecords,
      rejectedSnapshots: recovery.rejectedSnapshots.length,
      walRecords: recovery.walRecords,
      lastLsn: recovery.lastLsn,
      walDroppedBytes: recovery.walDroppedBytes,
      walDroppedRecords: recovery.walDroppedRecords,
      walDamage: recovery.walDamage,
      outOfMemory: recovery.outOfMemory,
      unknownNamespace: recovery.unknownNamespace,
    },
  };
}
