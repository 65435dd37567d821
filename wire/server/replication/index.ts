// The server's one entry to replication: a primary's endpoint, or a replica's link, by config.
import { randomBytes } from 'node:crypto';
import type { TemplatedApp } from 'uWebSockets.js';
import type { EngineApi } from '../../../engine/front/engine-api';
import { Engine } from '../../../engine/front/engine';
import { ReplicationSource } from '../../../engine/front/replication-source';
import type { UwsModule } from '../load-uws';
import type { Logger } from '../logger';
import { httpOriginOf, ReplicaLink } from './replica-link';
import { ReplicationPrimary } from './replication-primary';

export { replicationPath } from './replication-primary';

export interface ReplicationHandle {
  /** The primary's HTTP origin on a replica (the 421 body of a refused write); null on a primary. */
  readonly primaryHttpUrl: string | null;
  register(uws: UwsModule, app: TemplatedApp): void;
  status(): Record<string, unknown>;
  stop(): void;
}

/**
 * Replication for a node: with replicaOf, a replica (writes refused ReadOnly once recovery is done,
 * then the link starts); without, a primary that serves /v1/replication. Null for an engine that
 * is not the shard engine (a test's wrapped or model engine).
 */
export function attachReplication(engine: EngineApi, replicaOf: string | null, logger: Logger): ReplicationHandle | null {
  if (!(engine instanceof Engine)) return null;
  if (replicaOf === null) {
    const primary = new ReplicationPrimary(new ReplicationSource(engine, new Uint8Array(randomBytes(16))), engine.changes, logger, {
      minReplicas: engine.config.minReplicas,
      onReplicated: (lsn) => engine.persistence?.replicaGate?.advanceReplicated(lsn),
    });
    if (engine.persistence !== null) engine.persistence.walNeededAfter = () => primary.walNeededAfter();
    const status = (): Record<string, unknown> => {
      const gate = engine.persistence?.replicaGate ?? null;
      return { ...primary.status(), minReplicas: engine.config.minReplicas, replicatedLsn: gate?.replicatedLsn ?? null, replicaAckTimeouts: gate?.timeouts ?? 0 };
    };
    return { primaryHttpUrl: null, register: (uws, app) => primary.register(uws, app), status, stop: () => primary.stop() };
  }
  const link = new ReplicaLink({
    primaryUrl: replicaOf,
    host: engine,
    logger,
    durableLsn: () => engine.persistenceStats()?.durableLsn ?? engine.changes.lastLsn,
  });
  let stopped = false;
  // Read-only from the moment recovery ends (until then every op answers Recovering anyway).
  void engine.ready.then(() => {
    engine.setReadOnly(true);
    if (!stopped) link.start();
  }, () => undefined);
  return {
    primaryHttpUrl: httpOriginOf(replicaOf),
    register: () => undefined,
    status: () => link.status(),
    stop: () => {
      stopped = true;
      link.stop();
    },
  };
}
