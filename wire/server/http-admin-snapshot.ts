// POST /v1/admin/snapshot: writes a snapshot of every shard now (what `tessera snapshot` calls) and
// answers 200 `{ lsn, path, records, bytes, ms }` once it is complete on disk. A snapshot already
// running is joined, not doubled. Refusals are typed like every other error:
//   400 InvalidArgument    the node does not persist (no data dir);
//   503 Recovering         the data dir is still being replayed;
//   503 PersistenceFailed  the WAL failed: the node must restart before it writes anything again;
//   503 ShuttingDown       the server is draining;
//   500 InternalError      the snapshot itself failed (the previous one stays; see the server log).

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { Status } from '../../engine/layout/status';
import type { AccessControl } from './access-control';
import { admitHttp } from './http-access';
import { HttpExchange, type ExchangeContext } from './http-exchange';
import type { Logger } from './logger';
import type { PersistenceSource } from './node-persistence';
import { reasonOf } from './server-errors';

export const adminSnapshotPath = '/v1/admin/snapshot';

export interface SnapshotContext extends ExchangeContext {
  persistence: PersistenceSource | null;
  /** Snapshots are an admin operation: with access control on, only an `admin` token may ask. */
  access: AccessControl;
  logger: Logger;
  recovering(): boolean;
}

export function handleSnapshot(context: SnapshotContext, res: HttpResponse, req: HttpRequest): void {
  const exchange = new HttpExchange(res, context, false);
  if (!admitHttp(context.access, req, exchange, (principal) => principal.isAdmin)) return;
  if (!context.lifecycle.accepting) {
    exchange.refuse(Status.ShuttingDown, undefined, { closeConnection: true });
    return;
  }
  const stats = context.persistence?.persistenceStats() ?? null;
  if (context.persistence === null || stats === null) {
    exchange.refuse(Status.InvalidArgument, 'this node does not persist (started with --no-persistence or "persistence": false): there is nothing to snapshot');
    return;
  }
  if (context.recovering() && stats.state !== 'failed') {
    exchange.refuse(Status.Recovering, 'the data dir is still being recovered; try again when /status says running');
    return;
  }
  if (stats.state === 'failed') {
    exchange.refuse(Status.PersistenceFailed, `persistence failed (${stats.failure ?? 'unknown'}): restart the node`);
    return;
  }
  context.persistence.snapshot().then(
    ({ lsn, path, records, bytes, ms }) => {
      context.logger.info({ lsn, path, records, bytes, ms }, 'snapshot written (admin request)');
      exchange.sendJson(200, JSON.stringify({ lsn, path, records, bytes, ms }), { headers: [['Cache-Control', 'no-store']] });
    },
    (error: unknown) => {
      context.logger.error({ reason: reasonOf(error) }, `snapshot failed: ${reasonOf(error)}`);
      exchange.sendError(Status.InternalError, `snapshot failed: ${reasonOf(error)}`);
    },
  );
}
