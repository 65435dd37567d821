// GET /v1/{ns}?prefix=P&limit=N&cursor=C: one page of a namespace's records, without values.
//
//   200 { "records": [{ "key", "generation", "size", "contentType", "lastModified", "expiry" }],
//         "cursor": "<opaque>" | null }
//
// It is the engine's scan, the one the WebSocket scan op runs, with its cursor: pages follow
// (hash, key) order, every key present for the whole listing comes back exactly once, and the
// cursor is null on the last page. size = value bytes; lastModified = ms since the epoch; expiry =
// seconds since the epoch, 0 = never. A key that is not UTF-8 is shown with U+FFFD in place of the
// bad bytes (keys written over HTTP or by the client are UTF-8 in practice).

import { Status } from '../../engine/layout/status';
import type { NamespaceConfig } from '../../engine/layout/types';
import { scanLimitDefault, scanLimitMax } from '../../engine/layout/limits';
import { failureOf } from './engine-failure';
import type { ContentContext } from './http-content';
import type { HttpExchange } from './http-exchange';
import { queryText } from './query-params';

const decoder = new TextDecoder();

/** limit=N as a page size, undefined when absent, null when not a whole number in 1..scanLimitMax. */
export function parseListingLimit(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  if (!/^\d{1,4}$/.test(text)) return null;
  const limit = Number(text);
  return limit >= 1 && limit <= scanLimitMax ? limit : null;
}

export function handleListing(context: ContentContext, exchange: HttpExchange, namespace: NamespaceConfig, query: ReadonlyMap<string, Uint8Array>): void {
  const limit = parseListingLimit(queryText(query, 'limit'));
  if (limit === null) {
    exchange.refuse(Status.InvalidArgument, `limit must be a whole number in 1..${scanLimitMax}`);
    return;
  }
  const cursor = queryText(query, 'cursor');
  const prefix = query.get('prefix') ?? new Uint8Array(0);
  context.engine.scan(namespace.name, { prefix, limit: limit ?? scanLimitDefault, values: false, ...(cursor === undefined ? {} : { cursor }) }).then(
    (page) => {
      const records = page.records.map((record) => ({
        key: decoder.decode(record.key),
        generation: record.generation,
        size: record.size ?? 0,
        contentType: record.contentType,
        lastModified: record.lastModified,
        expiry: record.expiry,
      }));
      exchange.sendJson(200, JSON.stringify({ records, cursor: page.cursor }));
    },
    (error: unknown) => {
      const failure = failureOf(error);
      exchange.refuse(failure.status, failure.message);
    },
  );
}
