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
import { purgeByPrefix, purgeByTags, type PurgeOutcome } from './purge-runner';
import { requestBodyFraming } from './body-framing';
import { isTag, purgeTagsMax, tagBytesMax } from '../../engine/layout/surrogate-keys';
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

/** Bytes of a purge request's JSON body at most (purgeTagsMax tags at their longest fit well). */
export const purgeBodyBytesMax = 64 * 1024;

export function handleTagPurge(context: ContentContext, exchange: HttpExchange, req: HttpRequest, namespace: NamespaceConfig): void {
  const framing = requestBodyFraming(req);
  if (framing.kind === 'invalid' || framing.kind === 'none') {
    const message = framing.kind === 'none' ? 'a purge needs a JSON body {"tags": [...]}' : framing.message;
    exchange.refuse(Status.InvalidArgument, message, { closeConnection: framing.kind === 'invalid' });
    return;
  }
  exchange.readBody(framing.kind === 'length' ? framing.bytes : null, purgeBodyBytesMax, (body) => {
    const tags = purgeTagsOf(body);
    if (typeof tags === 'string') {
      exchange.refuse(Status.InvalidArgument, tags);
      return;
    }
    // The body has arrived, so this is already a later turn than the request's (see handlePrefixPurge).
    purgeByTags(context.engine, namespace.name, tags).then((outcome) => answerPurge(exchange, outcome), (error: unknown) => answerPurge(exchange, { deleted: 0, status: Status.InternalError, message: String(error) }));
  });
}

/** The tags of a purge body `{"tags": ["t1", ...]}`: 1..purgeTagsMax valid tags; else why not. */
export function purgeTagsOf(body: Uint8Array): string[] | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return 'the body is not JSON: send {"tags": ["tag", ...]}';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'the body must be an object {"tags": [...]}';
  const extra = Object.keys(parsed).find((name) => name !== 'tags');
  if (extra !== undefined) return `unknown field ${JSON.stringify(extra)}: send {"tags": [...]}`;
  const tags: unknown = (parsed as { tags?: unknown }).tags;
  if (!Array.isArray(tags) || tags.length === 0 || tags.length > purgeTagsMax) return `tags must be an array of 1..${purgeTagsMax} surrogate keys`;
  for (const tag of tags) if (!isTag(tag)) return `a surrogate key must be 1..${tagBytesMax} token characters, got ${JSON.stringify(tag)}`;
  return [...new Set(tags as string[])];
}
