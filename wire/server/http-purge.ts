// Purge routes (see http-namespace-routes.ts for access): both answer 200 { "deleted": N }, or the
// error of the first delete that failed for another reason than the record being gone already,
// with the count deleted before it in the message (those deletions stand: a purge is a series of
// ordinary deletes, not a transaction).
//
//   DELETE /v1/{ns}?prefix=P   every record whose key starts with P; an empty or absent prefix is
//                              refused (400 InvalidArgument) unless all=true is given as well.
//   POST /v1/{ns}/_purge       body {"tags": ["t1", ...]}: every record carrying any of the tags.

import type { HttpRequest } from 'uWebSockets.js';
import { Status } from '../../engine/layout/status';
import type { NamespaceConfig } from '../../engine/layout/types';
import type { ContentContext } from './http-content';
import type { HttpExchange } from './http-exchange';
import { purgeByPrefix, type PurgeOutcome } from './purge-runner';
import { queryText } from './query-params';

export const tagPurgeSegment = '_purge';

export function handlePrefixPurge(context: ContentContext, exchange: HttpExchange, namespace: NamespaceConfig, query: ReadonlyMap<string, Uint8Array>): void {
  const all = queryText(query, 'all');
  if (all !== undefined && all !== 'true' && all !== 'false') {
    exchange.refuse(Status.InvalidArgument, 'all must be true or false');
    return;
  }
  const prefix = query.get('prefix') ?? new Uint8Array(0);
  if (prefix.length === 0 && all !== 'true') {
    exchange.refuse(Status.InvalidArgument, 'purging a whole namespace needs all=true (or give a non-empty prefix)');
    return;
  }
  if (prefix.length > namespace.maxKeyBytes) {
    exchange.refuse(Status.KeyTooLarge, `the prefix is longer than the namespace's keys may be (${namespace.maxKeyBytes} bytes)`);
    return;
  }
  // A write waits one turn before it starts, as content writes do (http-content.ts, run()).
  exchange.deferWhileLive(() => {
    purgeByPrefix(context.engine, namespace.name, prefix).then((outcome) => answerPurge(exchange, outcome), (error: unknown) => answerPurge(exchange, { deleted: 0, status: Status.InternalError, message: String(error) }));
  });
}

export function answerPurge(exchange: HttpExchange, outcome: PurgeOutcome): void {
  if (outcome.status === Status.Ok) {
    exchange.sendJson(200, JSON.stringify({ deleted: outcome.deleted }));
    return;
  }
  const reason = outcome.message === undefined ? '' : `: ${outcome.message}`;
  exchange.sendError(outcome.status, `the purge stopped after deleting ${outcome.deleted} records${reason}`);
}

export function handleTagPurge(_context: ContentContext, exchange: HttpExchange, _req: HttpRequest, _namespace: NamespaceConfig): void {
  exchange.refuse(Status.InvalidArgument, 'not yet');
}
