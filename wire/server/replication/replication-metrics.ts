// Replication in /metrics (prom-client), read from the same status document /status shows, once
// per scrape: role, epoch, LSNs, per-replica lag (LSNs and ms), and the sync counts by kind (full syncs are the
// `snapshot` ones; memory and WAL syncs are partial).

import { Gauge, type Registry } from 'prom-client';

export function registerReplicationMetrics(registry: Registry, status: () => Record<string, unknown>): void {
  const registers = [registry];
  let syncs: Gauge<'mode'> | null = null;
  let lag: Gauge<'replica'> | null = null;
  let lagMs: Gauge<'replica'> | null = null;
  new Gauge({
    name: 'tessera_replication',
    help: 'Replication figures: primary (1) or replica (0), epoch, applied and replicated LSNs, connected replicas, replica ack timeouts',
    labelNames: ['figure'] as const,
    registers,
    collect(this: Gauge<'figure'>) {
      const view = status();
      const primary = view['role'] === 'primary';
      this.set({ figure: 'primary' }, primary ? 1 : 0);
      this.set({ figure: 'epoch' }, Number(view['epoch'] ?? 0));
      this.set({ figure: 'applied_lsn' }, Number((primary ? view['lastLsn'] : view['appliedLsn']) ?? 0));
      if (primary) {
        const replicas = (view['replicas'] as Record<string, unknown>[] | undefined) ?? [];
        this.set({ figure: 'replicas_connected' }, replicas.length);
        this.set({ figure: 'replicated_lsn' }, Number(view['replicatedLsn'] ?? 0));
        this.set({ figure: 'replica_ack_timeouts' }, Number(view['replicaAckTimeouts'] ?? 0));
        lag?.reset();
        lagMs?.reset();
        for (const replica of replicas) {
          lag?.set({ replica: String(replica['id']) }, Number(replica['lagLsn'] ?? 0));
          // null: the oldest unacknowledged change is no longer in memory (its age is unknown).
          if (typeof replica['lagMs'] === 'number') lagMs?.set({ replica: String(replica['id']) }, replica['lagMs']);
        }
        const counts = (view['syncs'] as Record<string, number> | undefined) ?? {};
        for (const mode of ['memory', 'wal', 'snapshot']) syncs?.set({ mode }, counts[mode] ?? 0);
      } else {
        this.set({ figure: 'lag_lsn' }, Number(view['lagLsn'] ?? 0));
        this.set({ figure: 'full_syncs' }, Number(view['fullSyncs'] ?? 0));
      }
    },
  });
  syncs = new Gauge({ name: 'tessera_replication_syncs', help: 'Replica syncs served since start, by kind (snapshot = full, memory/wal = partial)', labelNames: ['mode'] as const, registers });
  lagMs = new Gauge({ name: 'tessera_replication_lag_ms', help: 'Per connected replica: age of the oldest change it has not acknowledged, ms (absent when that change left the memory window)', labelNames: ['replica'] as const, registers });
  lag = new Gauge({ name: 'tessera_replication_lag_lsn', help: 'Per connected replica: primary last LSN minus the replica\'s acknowledged LSN', labelNames: ['replica'] as const, registers });
}
