// Operator routes: GET /status (JSON) and GET /metrics (Prometheus text), plus the JSON 404 for any
// path no route claims. /status answers 503 while the server drains, so a load balancer or the
// container HEALTHCHECK stops sending it traffic before it goes away, and while it recovers its data
// dir (state "recovering": every op answers Recovering until it is done).

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { EngineApi } from '../../engine/front/engine-api';
import { Status } from '../../engine/layout/status';
import type { AccessControl } from './access-control';
import { admitHttp } from './http-access';
import { HttpExchange, type ExchangeContext } from './http-exchange';
import { persistenceDocument, type PersistenceSource } from './node-persistence';
import { tesseraVersion } from './package-info';
import type { IoThreadStatus } from './io-threads/io-thread-host';

export interface AdminContext extends ExchangeContext {
  engine: EngineApi;
  startedAtMs: number;
  /** What counts against maxConnections: open WebSockets plus HTTP responses still being written. */
  connections(): number;
  /** HTTP responses whose body the client has not read yet (http-output.ts). */
  httpResponsesHeld?: () => number;
  /** Unread output over every connection, and its budget (output-budget.ts). */
  bufferedOutputBytes(): number;
  limits: { maxBufferedOutputBytes: number; maxConnections: number };
  access: AccessControl;
  /** The node's data dir, WAL and snapshots; null when it does not persist. */
  persistence: PersistenceSource | null;
  /** True until recovery is done (node-persistence.ts, recoveryFlag). */
  recovering(): boolean;
  /** Role, epoch, history, LSNs and per-replica lag (wire/server/replication/); null without replication. */
  replication?: () => Record<string, unknown> | null;
  /** Every I/O thread: the front (thread 0) and the threads that relay to it (io-threads/). */
  ioThreads?: () => IoThreadStatus[];
}

/**
 * Table bytes per shard, where the engine offers them (Engine.shardCounters; the model engine has
 * no shards): with shardBudgetBytes below, which shard is near its share can be seen.
 */
function shardTableBytes(engine: EngineApi): number[] | null {
  const counters = (engine as { shardCounters?: () => { tableBytes: number }[] }).shardCounters;
  return typeof counters === 'function' ? counters.call(engine).map((shard) => shard.tableBytes) : null;
}

/**
 * The change log's retained key and value bytes: memory outside every namespace limit (up to its
 * own byte bound). Read by duck typing: the engine's ChangeLog has it, the ChangeLogApi contract
 * (and so the model engine) need not.
 */
function changeLogRetainedBytes(engine: EngineApi): number | null {
  const retained = (engine.changes as { retainedBytes?: unknown }).retainedBytes;
  return typeof retained === 'number' ? retained : null;
}

/** running | draining | stopped, or recovering while the data dir is replayed. */
function stateOf(context: AdminContext): string {
  const state = context.lifecycle.state;
  return state === 'running' && context.recovering() ? 'recovering' : state;
}

export function statusDocument(context: AdminContext): Record<string, unknown> {
  const stats = context.engine.stats();
  return {
    version: tesseraVersion,
    state: stateOf(context),
    uptimeSec: Math.round((Date.now() - context.startedAtMs) / 1000),
    shards: stats.shards,
    partitions: stats.partitions,
    lastLsn: stats.lastLsn,
    shardRestarts: stats.shardRestarts,
    tableBytes: stats.tableBytes,
    connections: context.connections(),
    maxConnections: context.limits.maxConnections,
    httpResponsesHeld: context.httpResponsesHeld?.() ?? 0,
    bufferedOutputBytes: context.bufferedOutputBytes(),
    maxBufferedOutputBytes: context.limits.maxBufferedOutputBytes,
    changeLogRetainedBytes: changeLogRetainedBytes(context.engine),
    shardTableBytes: shardTableBytes(context.engine),
    requestsInFlight: context.lifecycle.inFlight,
    // The engine splits a namespace's limit evenly over its shards (engine.ts, budgetBytes), so a
    // store namespace refuses writes (OutOfMemory) once the shard a key maps to is at its share,
    // even while `bytes` is below `memoryLimitBytes`: the share is reported so that is visible.
    namespaces: stats.namespaces.map(({ name, mode, records, bytes, memoryLimitBytes }) => ({
      name,
      mode,
      records,
      bytes,
      memoryLimitBytes,
      shardBudgetBytes: Math.floor(memoryLimitBytes / Math.max(1, stats.shards)),
    })),
    persistence: persistenceDocument(context.persistence, context.recovering(), Date.now()),
    replication: context.replication?.() ?? null,
    ioThreads: context.ioThreads?.() ?? [],
  };
}

/** What /status tells a caller without an admin token when it is protected: health, nothing more. */
const reducedStatusDetail = 'the full status needs a token with the admin role (auth.openStatus)';

/**
 * Protected /status (tokens configured and auth.openStatus not true): an admin token sees the whole
 * document; a request without a token, or with a valid token that is not admin, sees only
 * `{ state, detail }` with the same 200/503, so a load balancer's or the container's health check
 * needs no token, and nothing of the namespaces, the data dir or the replicas leaks. A token that
 * is not valid is answered 401, as everywhere.
 */
function statusIsReduced(context: AdminContext, req: HttpRequest, exchange: HttpExchange): boolean | null {
  const access = context.access;
  if (!access.enabled || access.openStatus) return false;
  const authorization = req.getHeader('authorization');
  if (authorization === '') return true;
  const principal = access.authenticateHeader(authorization);
  if (principal === null) {
    admitHttp(access, req, exchange, () => false);
    return null;
  }
  return !principal.isAdmin;
}

export function handleStatus(context: AdminContext, res: HttpResponse, req: HttpRequest): void {
  const exchange = new HttpExchange(res, context, req.getMethod() === 'head');
  const reduced = statusIsReduced(context, req, exchange);
  if (reduced === null) return;
  const state = stateOf(context);
  const document = reduced ? { state, detail: reducedStatusDetail } : statusDocument(context);
  // 503 while draining or recovering, so a balancer or HEALTHCHECK sends no traffic yet.
  const httpCode = state === 'running' ? 200 : 503;
  exchange.sendJson(httpCode, JSON.stringify(document), { headers: [['Cache-Control', 'no-store']] });
}

export function handleMetrics(context: AdminContext, res: HttpResponse, req: HttpRequest): void {
  const exchange = new HttpExchange(res, context, req.getMethod() === 'head');
  if (!context.access.openMetrics && !admitHttp(context.access, req, exchange, (principal) => principal.isAdmin)) return;
  context.metrics.render().then(
    (text) => exchange.sendJson(200, text, { contentType: context.metrics.contentType }),
    (error: unknown) => exchange.sendError(Status.InternalError, error instanceof Error ? error.message : undefined),
  );
}

export function handleNoRoute(context: ExchangeContext, res: HttpResponse, req: HttpRequest): void {
  const exchange = new HttpExchange(res, context, req.getMethod() === 'head');
  exchange.refuse(Status.NotFound, `no route for ${req.getCaseSensitiveMethod()} ${req.getUrl()}`);
}
