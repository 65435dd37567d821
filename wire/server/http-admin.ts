// Operator routes: GET /status (JSON) and GET /metrics (Prometheus text), plus the JSON 404 for any
// path no route claims. /status answers 503 while the server drains, so a load balancer or the
// container HEALTHCHECK stops sending it traffic before it goes away.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { EngineApi } from '../../engine/front/engine-api';
import { Status } from '../../engine/layout/status';
import { HttpExchange, type ExchangeContext } from './http-exchange';
import { tesseraVersion } from './package-info';

export interface AdminContext extends ExchangeContext {
  engine: EngineApi;
  startedAtMs: number;
  connections(): number;
  /** Role, epoch, history, LSNs and per-replica lag (wire/server/replication/); null without replication. */
  replication?: () => Record<string, unknown> | null;
}

export function statusDocument(context: AdminContext): Record<string, unknown> {
  const stats = context.engine.stats();
  return {
    version: tesseraVersion,
    state: context.lifecycle.state,
    uptimeSec: Math.round((Date.now() - context.startedAtMs) / 1000),
    shards: stats.shards,
    partitions: stats.partitions,
    lastLsn: stats.lastLsn,
    shardRestarts: stats.shardRestarts,
    tableBytes: stats.tableBytes,
    connections: context.connections(),
    requestsInFlight: context.lifecycle.inFlight,
    namespaces: stats.namespaces.map(({ name, mode, records, bytes, memoryLimitBytes }) => ({ name, mode, records, bytes, memoryLimitBytes })),
    replication: context.replication?.() ?? null,
  };
}

export function handleStatus(context: AdminContext, res: HttpResponse, req: HttpRequest): void {
  const exchange = new HttpExchange(res, context, req.getMethod() === 'head');
  const httpCode = context.lifecycle.accepting ? 200 : 503;
  exchange.sendJson(httpCode, JSON.stringify(statusDocument(context)), { headers: [['Cache-Control', 'no-store']] });
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
