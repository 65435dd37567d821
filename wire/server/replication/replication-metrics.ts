// Replication in /metrics (prom-client), one metric per figure, read from the same status document
// /status shows, once per scrape (the first metric registered reads it; prom-client collects in
// registration order). On a primary: its epoch and LSNs, connected replicas, each replica's lag (LSNs and ms),
// replica-ack timeouts and the syncs served by kind (full syncs are the `snapshot` ones; memory and
// WAL syncs are partial). On a replica: its lag behind the primary and its full syncs.

import { Counter, Gauge, type Registry } from 'prom-client';

type StatusView = Record<string, unknown>;

export function registerReplicationMetrics(registry: Registry, status: () => StatusView): void {
  const registers = [registry];
  let view: StatusView | null = null;
  const primary = (): boolean => view?.['role'] === 'primary';
  const figure = (current: StatusView, name: string): number => Number(current[name] ?? 0);
  const gauge = (name: string, help: string, read: (current: StatusView) => number | null, first = false): void => {
    new Gauge({
      name,
      help,
      registers,
      collect(this: Gauge) {
        if (first) view = status();
        const value = view === null ? null : read(view);
        if (value === null) return;
        this.set(value);
      },
    });
  };
  const counter = (name: string, help: string, read: (current: StatusView) => number | null): void => {
    new Counter({
      name,
      help,
      registers,
      collect(this: Counter) {
        const value = view === null ? null : read(view);
        if (value === null) return;
        this.reset();
        this.inc(value);
      },
    });
  };
  gauge('tessera_replication_primary', '1 on a primary, 0 on a replica', () => (primary() ? 1 : 0), true);
  gauge('tessera_replication_epoch', 'The replication epoch this node follows (a promotion starts the next)', (current) => figure(current, 'epoch'));
  gauge('tessera_replication_applied_lsn', 'The newest LSN applied here (a primary\'s last LSN)', (current) => figure(current, primary() ? 'lastLsn' : 'appliedLsn'));
  gauge('tessera_replication_replicated_lsn', 'Primary: the lowest LSN the connected replicas acknowledged', (current) => (primary() ? figure(current, 'replicatedLsn') : null));
  gauge('tessera_replicas_connected', 'Primary: replicas connected now', (current) => (primary() ? ((current['replicas'] as unknown[] | undefined) ?? []).length : null));
  counter('tessera_replica_ack_timeouts_total', 'Primary: `replica`-ack writes answered NotEnoughReplicas (applied and durable here, not acknowledged by enough replicas in time)', (current) => (primary() ? figure(current, 'replicaAckTimeouts') : null));
  gauge('tessera_replica_lag_lsn', 'Replica: the primary\'s last LSN minus the LSN applied here', (current) => (primary() ? null : figure(current, 'lagLsn')));
  counter('tessera_replica_full_syncs_total', 'Replica: full syncs (snapshot transfers) it went through since start', (current) => (primary() ? null : figure(current, 'fullSyncs')));
  new Counter({
    name: 'tessera_replication_syncs_total',
    help: 'Primary: replica syncs served since start, by kind (snapshot = full, memory/wal = partial)',
    labelNames: ['mode'] as const,
    registers,
    collect(this: Counter<'mode'>) {
      if (view === null || !primary()) return;
      this.reset();
      const counts = (view['syncs'] as Record<string, number> | undefined) ?? {};
      for (const mode of ['memory', 'wal', 'snapshot']) this.inc({ mode }, counts[mode] ?? 0);
    },
  });
  new Gauge({
    name: 'tessera_replication_lag_lsn',
    help: 'Primary, per connected replica: its last LSN minus the replica\'s acknowledged LSN',
    labelNames: ['replica'] as const,
    registers,
    collect(this: Gauge<'replica'>) {
      this.reset();
      if (view === null || !primary()) return;
      for (const replica of (view['replicas'] as Record<string, unknown>[] | undefined) ?? []) this.set({ replica: String(replica['id']) }, Number(replica['lagLsn'] ?? 0));
    },
  });
  new Gauge({
    name: 'tessera_replication_lag_ms',
    help: 'Primary, per connected replica: age of the oldest change it has not acknowledged, ms (absent when that change left the memory window)',
    labelNames: ['replica'] as const,
    registers,
    collect(this: Gauge<'replica'>) {
      this.reset();
      if (view === null || !primary()) return;
      for (const replica of (view['replicas'] as Record<string, unknown>[] | undefined) ?? []) {
        // null: the oldest unacknowledged change is no longer in memory (its age is unknown).
        if (typeof replica['lagMs'] === 'number') this.set({ replica: String(replica['id']) }, replica['lagMs']);
      }
    },
  });
}
