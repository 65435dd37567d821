// Durability figures on /metrics (issue 11): all read at scrape time from one persistenceStats()
// call, nothing per op. The fsync latency histogram is fed at scrape time too: the WAL keeps a ring
// of its recent fsync latencies and a count of fsyncs, so a scrape observes the samples of the
// fsyncs that happened since the previous scrape (all of them, unless more than the ring holds ran
// in between; then the newest the ring kept).

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PersistenceStats } from '../../engine/front/persistence';
import type { PersistenceSource } from './node-persistence';

/** Seconds; from 20 µs (a page-cache-only fsync) to 2.5 s (a disk in trouble). */
const fsyncBucketsSec = [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Registers the persistence metrics on registry; call once, and only for a node that persists. */
export function registerPersistenceMetrics(registry: Registry, source: PersistenceSource, nowMs: () => number = Date.now): void {
  const registers = [registry];
  // One stats() per scrape: the first metric registered reads it (prom-client collects in
  // registration order), the others use what it read.
  let stats: PersistenceStats | null = null;
  let fsyncsObserved = 0;
  const figure = (name: string, help: string, read: (current: PersistenceStats) => number, first = false): void => {
    new Gauge({
      name,
      help,
      registers,
      collect(this: Gauge) {
        if (first) stats = source.persistenceStats();
        if (stats !== null) this.set(read(stats));
      },
    });
  };
  const total = (name: string, help: string, read: (current: PersistenceStats) => number): void => {
    new Counter({
      name,
      help,
      registers,
      collect(this: Counter) {
        if (stats === null) return;
        this.reset();
        this.inc(read(stats));
      },
    });
  };
  figure('tessera_durable_lsn', 'The newest LSN the WAL has made durable (fsynced, or written under fsync everysec/never)', (current) => current.durableLsn, true);
  figure('tessera_persistence_failed', '1 once the WAL failed for good: writes are refused (PersistenceFailed) until a restart', (current) => (current.state === 'failed' ? 1 : 0));
  figure('tessera_wal_bytes', 'Bytes in the WAL segments on disk', (current) => current.walBytes);
  figure('tessera_wal_segments', 'WAL segment files on disk', (current) => current.walSegments);
  total('tessera_fsyncs_total', 'WAL fsyncs (group commits) since start', (current) => current.fsyncs);
  new Histogram({
    name: 'tessera_fsync_seconds',
    help: 'WAL fsync latency',
    buckets: fsyncBucketsSec,
    registers,
    collect(this: Histogram) {
      if (stats === null) return;
      const samples = stats.fsyncLatencyUs;
      const fresh = Math.min(Math.max(0, stats.fsyncs - fsyncsObserved), samples.length);
      fsyncsObserved = stats.fsyncs;
      for (let index = samples.length - fresh; index < samples.length; index++) this.observe((samples[index] ?? 0) / 1e6);
    },
  });
  figure('tessera_last_snapshot_lsn', 'The LSN of the newest snapshot (taken since start, else the one recovery started from)', (current) => current.lastSnapshot?.lsn ?? current.recovery?.snapshotLsn ?? 0);
  figure('tessera_last_snapshot_age_seconds', 'Seconds since the newest snapshot taken since start finished (NaN before the first)', (current) =>
    current.lastSnapshot === null ? Number.NaN : Math.max(0, (nowMs() - current.lastSnapshot.finishedAt) / 1000));
  total('tessera_snapshots_total', 'Snapshots taken since start', (current) => current.snapshotsTaken);
  total('tessera_snapshot_failures_total', 'Snapshots that failed since start', (current) => current.snapshotFailures);
  figure('tessera_recovery_seconds', 'How long the recovery of this start took (0 while it runs)', (current) => (current.recovery?.ms ?? 0) / 1000);
}
