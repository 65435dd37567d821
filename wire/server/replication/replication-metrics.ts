// Replication in /metrics (prom-client), one metric per figure, read from the same status document
// /status shows, once per scrape (scraped-figures.ts). On a primary: its epoch and LSNs, connected
// replicas, each replica's lag (LSNs and ms), replica-ack timeouts and the syncs served by kind (full
// syncs are the `snapshot` ones; memory and WAL syncs are partial). On a replica: its lag behind the
// primary and its full syncs.

import type { Registry } from 'prom-client';
import { ScrapedFigures } from '../scraped-figures';

type StatusView = Record<string, unknown>;
const syncModes = ['memory', 'wal', 'snapshot'] as const;

export function registerReplicationMetrics(registry: Registry, status: () => StatusView): void {
  const figures = new ScrapedFigures<StatusView>(registry, status);
  const isPrimary = (current: StatusView): boolean => current['role'] === 'primary';
  const figure = (current: StatusView, name: string): number => Number(current[name] ?? 0);
  const replicas = (current: StatusView): Record<string, unknown>[] => (current['replicas'] as Record<string, unknown>[] | undefined) ?? [];
  figures.gauge('tessera_replication_primary', '1 on a primary, 0 on a replica', (current) => (isPrimary(current) ? 1 : 0));
  figures.gauge('tessera_replication_epoch', 'The replication epoch this node follows (a promotion starts the next)', (current) => figure(current, 'epoch'));
  figures.gauge('tessera_replication_applied_lsn', 'The newest LSN applied here (a primary\'s last LSN)', (current) => figure(current, isPrimary(current) ? 'lastLsn' : 'appliedLsn'));
  figures.gauge('tessera_replication_replicated_lsn', 'Primary: the lowest LSN the connected replicas acknowledged', (current) => (isPrimary(current) ? figure(current, 'replicatedLsn') : null));
  figures.gauge('tessera_replicas_connected', 'Primary: replicas connected now', (current) => (isPrimary(current) ? replicas(current).length : null));
  figures.counter('tessera_replica_ack_timeouts_total', 'Primary: `replica`-ack writes answered NotEnoughReplicas (applied and durable here, not acknowledged by enough replicas in time)', (current) => (isPrimary(current) ? figure(current, 'replicaAckTimeouts') : null));
  figures.gauge('tessera_replica_lag_lsn', 'Replica: the primary\'s last LSN minus the LSN applied here', (current) => (isPrimary(current) ? null : figure(current, 'lagLsn')));
  figures.counter('tessera_replica_full_syncs_total', 'Replica: full syncs (snapshot transfers) it went through since start', (current) => (isPrimary(current) ? null : figure(current, 'fullSyncs')));
  figures.labelled('counter', 'tessera_replication_syncs_total', 'Primary: replica syncs served since start, by kind (snapshot = full, memory/wal = partial)', 'mode', (current) => {
    if (!isPrimary(current)) return null;
    const counts = (current['syncs'] as Record<string, number> | undefined) ?? {};
    return syncModes.map((mode) => [mode, counts[mode] ?? 0] as const);
  });
  figures.labelled('gauge', 'tessera_replication_lag_lsn', 'Primary, per connected replica: its last LSN minus the replica\'s acknowledged LSN', 'replica', (current) =>
    isPrimary(current) ? replicas(current).map((replica) => [String(replica['id']), Number(replica['lagLsn'] ?? 0)] as const) : null,
  );
  // A replica whose oldest unacknowledged change left the memory window has lagMs null (its age is
  // unknown): it has no series then.
  figures.labelled('gauge', 'tessera_replication_lag_ms', 'Primary, per connected replica: age of the oldest change it has not acknowledged, ms (absent when that change left the memory window)', 'replica', (current) =>
    isPrimary(current) ? replicas(current).flatMap((replica) => (typeof replica['lagMs'] === 'number' ? [[String(replica['id']), replica['lagMs']] as const] : [])) : null,
  );
}
