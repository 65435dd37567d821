// Operator routes: GET /status (JSON) and GET /metrics (Prometheus text), plus the JSON 404 for any
// path no route claims. /status answers 503 while the server drains, so a load balancer or the
// container HEALTHCHECK stops sending it traffic before it goes away, and while it recovers its data
// dir (state "recovering": every op answers Recovering until it is done).

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { EngineApi } from '../../engine/front/engine-api';
import { Status } from '../../engine/layout/status';
import { HttpExchange, type ExchangeContext } from './http-exchange';
import { persistenceDocument, type PersistenceSource } from './node-persistence';
import { tesseraVersion } from './package-info';

export interface AdminContext extends ExchangeContext {
  engine: EngineApi;
  startedAtMs: number;
  connections(): number;
  /** The node's data dir, WAL and snapshots; null when it does not persist. */
  persistence: PersistenceSource | null;
  /** True until recovery is done (node-persistence.ts, recoveryFlag). */
  recovering(): boolean;
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
    requestsInFlight: context.lifecycle.inFlight,
    namespaces: stats.namespaces.map(({ name, mode, records, bytes, memoryLimitBytes }) => ({ name, mode, records, bytes, memoryLimitBytes })),
    persistence: persistenceDocument(context.persistence, context.recovering(), Date.now()),
  };
}

export function handleStatus(context: AdminContext, res: HttpResponse, req: HttpRequest): void {
  const exchange = new HttpExchange(res, context, req.getMethod() === 'head');
  const document = statusDocument(context);
  const httpCode = document['state'] === 'running' ? 200 : 503;
  exchange.sendJson(httpCode, JSON.stringify(document), { headers: [['Cache-Control', 'no-store']] });
}

export function handleMetrics(context: AdminContext, res: HttpResponse, req: HttpRequest): void {
  const exchange = new HttpExchange(res, context, req.getMethod() === 'head');
  context.metrics.render().then(
    (text) => exchange.sendJson(200, text, { contentType: context.metrics.contentType }),
    (error: unknown) => exchange.sendError(Status.InternalError, error instanceof Error ? error.message : undefined),
  );
}

export function handleNoRoute(context: ExchangeContext, res: HttpResponse, req: HttpRequest): void {
  const exchange = new HttpExchange(res, context, req.getMethod() === 'head');
  exchange.refuse(Status.NotFound, `no route for ${req.getCaseSensitiveMethod()} ${req.getUrl()}`);
}
