// The server's one entry to replication: every node serves /v1/replication (a replica refuses
// hellos until promoted) and POST /v1/admin/promote; a node started with replicaOf follows its
// primary with a ReplicaLink until it is promoted.
import { randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { EngineApi } from '../../../engine/front/engine-api';
import { Engine } from '../../../engine/front/engine';
import { EpochStore } from '../../../engine/front/replication-epoch';
import { ReplicationSource } from '../../../engine/front/replication-source';
import type { UwsModule } from '../load-uws';
import type { Logger } from '../logger';
import { httpOriginOf, ReplicaLink } from './replica-link';
import { ReplicationPrimary } from './replication-primary';
import { closeCodes } from './primary-session';

export { replicationPath } from './replication-primary';
export const promotePath = '/v1/admin/promote';
export const failoverPath = '/v1/admin/failover';
/** How long a coordinated failover waits for the target to hold everything. */
const failoverWaitMs = 10_000;

/** Answers an admin POST with the JSON of `work`: 200, or 409 with the reason. */
function answerWith(res: HttpResponse, work: Promise<object>): void {
  let aborted = false;
  res.onAborted(() => (aborted = true));
  const answer = (code: string, body: object): void => {
    if (aborted) return;
    res.cork(() => res.writeStatus(code).writeHeader('Content-Type', 'application/json').writeHeader('Cache-Control', 'no-store').end(JSON.stringify(body)));
  };
  work.then(
    (result) => answer('200 OK', result),
    (error: unknown) => answer('409 Conflict', { error: 'InvalidArgument', message: error instanceof Error ? error.message : String(error) }),
  );
}

/** How the server guards replication's routes (access control and the Host check live in server.ts). */
export interface ReplicationGuards {
  /** Wraps an admin HTTP route: the handler runs only for an admitted admin request. */
  guardHttp(handler: (res: HttpResponse, req: HttpRequest) => void): (res: HttpResponse, req: HttpRequest) => void;
  /** Checks a replica's link upgrade; a refusal is answered with its code and no link opens. */
  admitLink(req: HttpRequest): LinkRefusal | null;
}

export interface LinkRefusal {
  httpCode: number;
  status: number;
  message: string;
}

export interface ReplicationHandle {
  /** The primary's HTTP origin on a replica (the 421 body of a refused write); null on a primary. */
  readonly primaryHttpUrl: string | null;
  register(uws: UwsModule, app: TemplatedApp, guards: ReplicationGuards): void;
  status(): Record<string, unknown>;
  stop(): void;
}

export interface PromoteResult {
  epoch: number;
  historyId: string;
  previousHistoryId: string;
  switchLsn: number;
}

class ReplicationNode implements ReplicationHandle {
  readonly #engine: Engine;
  readonly #logger: Logger;
  readonly #epochs: EpochStore;
  readonly #source: ReplicationSource;
  readonly #primary: ReplicationPrimary;
  #replicaOf: string | null;
  #link: ReplicaLink | null = null;
  #promoting: Promise<PromoteResult> | null = null;
  #stopped = false;

  constructor(engine: Engine, replicaOf: string | null, logger: Logger) {
    this.#engine = engine;
    this.#logger = logger;
    this.#replicaOf = replicaOf;
    this.#epochs = new EpochStore(engine.persistence?.dataDir.directory ?? null);
    this.#source = new ReplicationSource(engine, new Uint8Array(randomBytes(16)));
    this.#primary = new ReplicationPrimary(this.#source, engine.changes, logger, {
      minReplicas: engine.config.minReplicas,
      onReplicated: (lsn) => engine.persistence?.replicaGate?.advanceReplicated(lsn),
      epoch: () => this.#epochs.epoch,
      accepting: () => this.#link === null,
    });
    if (engine.persistence !== null) engine.persistence.walNeededAfter = () => this.#primary.walNeededAfter();
    if (replicaOf !== null) this.#follow(replicaOf);
  }

  #follow(replicaOf: string): void {
    const engine = this.#engine;
    const link = new ReplicaLink({
      primaryUrl: replicaOf,
      host: engine,
      logger: this.#logger,
      durableLsn: () => engine.persistenceStats()?.durableLsn ?? engine.changes.lastLsn,
      epoch: this.#epochs.epoch,
      onEpoch: (epoch) => this.#epochs.raise(epoch),
    });
    this.#link = link;
    // Read-only from the moment recovery ends (until then every op answers Recovering anyway).
    void engine.ready.then(() => {
      if (this.#link !== link || this.#stopped) return;
      engine.setReadOnly(true);
      link.start();
    }, () => undefined);
  }

  get primaryHttpUrl(): string | null {
    return this.#link === null || this.#replicaOf === null ? null : httpOriginOf(this.#replicaOf);
  }

  register(uws: UwsModule, app: TemplatedApp, guards: ReplicationGuards): void {
    this.#primary.register(uws, app, (req) => guards.admitLink(req));
    app.post(promotePath, guards.guardHttp((res) => answerWith(res, this.promote())));
    app.post(failoverPath, guards.guardHttp((res, req) => {
      const to = new URLSearchParams(req.getQuery() ?? '').get('to');
      // The operator's token (admitted as admin here) also speaks for this node to the target.
      const authorization = req.getHeader('authorization');
      answerWith(res, to === null ? Promise.reject(new Error('failover needs ?to=http://HOST:PORT of a replica')) : this.failover(to, authorization));
    }));
  }

  /**
   * Coordinated switchover to a live replica (`tessera failover --to URL`, Redis's FAILOVER):
   * pause writes here (they answer ReadOnly: never acknowledged), wait until the target holds
   * every change durably and every held `replica` answer went out, demote this node first (its
   * replica links close, it follows the target), then promote the target. No acknowledged write
   * is lost and no two nodes accept writes at once. On a timeout before the demotion, writes resume.
   */
  async failover(targetHttpUrl: string, authorization = ''): Promise<Record<string, unknown>> {
    if (this.#link !== null) throw new Error('this node is a replica: fail over from its primary');
    const target = new URL(targetHttpUrl);
    const headers: Record<string, string> = authorization === '' ? {} : { authorization };
    const targetStatus = async (): Promise<Record<string, unknown>> => ((await (await fetch(new URL('/status', target), { headers })).json()) as { replication: Record<string, unknown> }).replication;
    const initial = await targetStatus();
    if (initial['role'] !== 'replica' || initial['historyId'] !== Buffer.from(this.#source.historyId).toString('hex')) throw new Error(`${targetHttpUrl} is not a replica of this node`);
    const engine = this.#engine;
    engine.setReadOnly(true);
    const deadlineMs = Date.now() + failoverWaitMs;
    try {
      for (let attempt = 0; ; attempt++) {
        const lsn = engine.changes.lastLsn;
        const gate = engine.persistence?.replicaGate ?? null;
        const view = await targetStatus();
        // Writes submitted before the pause may still be at a shard: idle means none is left anywhere.
        if (Number(view['durableLsn']) >= lsn && lsn === engine.changes.lastLsn && engine.idle && (gate === null || gate.heldCount === 0)) break;
        if (Date.now() > deadlineMs || attempt > 100_000) throw new Error(`the target did not catch up within ${failoverWaitMs} ms: writes resume here`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } catch (error: unknown) {
      engine.setReadOnly(false);
      throw error;
    }
    // With access control on, the demoted node's link to the new primary presents the same token.
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    const targetWs = `${target.protocol === 'https:' ? 'wss:' : 'ws:'}//${target.host}/v1/ws${bearer === undefined ? '' : `?access_token=${encodeURIComponent(bearer)}`}`;
    this.#primary.closeSessions(closeCodes.notPrimary, 'demoted: follow the new primary');
    this.#replicaOf = targetWs;
    this.#follow(targetWs);
    const response = await fetch(new URL(promotePath, target), { method: 'POST', headers });
    const promoted = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`demoted, but the target refused the promotion: ${JSON.stringify(promoted)}`);
    this.#logger.warn({ target: targetHttpUrl, promoted }, 'replication: failed over (this node follows the new primary)');
    return { demotedLsn: engine.changes.lastLsn, promoted };
  }

  /**
   * Makes this replica the primary: the link stops (every frame received is applied first), the
   * epoch becomes the highest seen + 1 (recorded before anything else changes), the history id is
   * new with the old one remembered up to the switch LSN (so replicas of the old primary continue
   * without a full sync), and writes are accepted.
   */
  promote(): Promise<PromoteResult> {
    this.#promoting ??= this.#promote().finally(() => (this.#promoting = null));
    return this.#promoting;
  }

  async #promote(): Promise<PromoteResult> {
    const link = this.#link;
    if (link === null) throw new Error('this node is already a primary');
    await this.#engine.ready;
    await link.stop();
    if (link.applier.inFullSync) {
      this.#link = null;
      this.#follow(this.#replicaOf!);
      throw new Error('a full sync is halfway: this replica holds a partial copy and cannot be promoted');
    }
    const epoch = Math.max(this.#epochs.epoch, link.epoch) + 1;
    this.#epochs.raise(epoch);
    const previousHistoryId = link.applier.historyId;
    const historyId = new Uint8Array(randomBytes(16));
    const switchLsn = this.#engine.changes.lastLsn + 1;
    const persistence = this.#engine.persistence;
    if (persistence !== null) await persistence.switchHistory(historyId, switchLsn);
    else this.#source.promoteInMemory(previousHistoryId, historyId, switchLsn);
    link.applier.adoptHistory(historyId);
    this.#link = null;
    this.#engine.setReadOnly(false);
    const result = { epoch, historyId: Buffer.from(historyId).toString('hex'), previousHistoryId: Buffer.from(previousHistoryId).toString('hex'), switchLsn };
    this.#logger.warn(result, 'replication: promoted to primary');
    return result;
  }

  status(): Record<string, unknown> {
    if (this.#link !== null) return this.#link.status();
    const gate = this.#engine.persistence?.replicaGate ?? null;
    const previous = this.#source.previous;
    return {
      ...this.#primary.status(),
      previousHistoryId: previous === null ? null : Buffer.from(previous.historyId).toString('hex'),
      switchLsn: previous?.switchLsn ?? 0,
      minReplicas: this.#engine.config.minReplicas,
      replicatedLsn: gate?.replicatedLsn ?? null,
      replicaAckTimeouts: gate?.timeouts ?? 0,
    };
  }

  stop(): void {
    this.#stopped = true;
    void this.#link?.stop();
    this.#primary.stop();
  }
}

/** Replication for a node; null for an engine that is not the shard engine (a test's wrapped or model engine). */
export function attachReplication(engine: EngineApi, replicaOf: string | null, logger: Logger): ReplicationHandle | null {
  if (!(engine instanceof Engine)) return null;
  return new ReplicationNode(engine, replicaOf, logger);
}
