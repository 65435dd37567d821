// The namespace-wide HTTP routes, beside the per-record content API (http-content.ts):
//
//   GET, HEAD /v1/{ns}?prefix=P&limit=N&cursor=C   listing (http-listing.ts)             read
//   DELETE    /v1/{ns}?prefix=P  (or ?all=true)     purge by prefix (http-purge.ts)       admin
//   POST      /v1/{ns}/_purge   {"tags": [...]}     purge by surrogate key (http-purge.ts) admin
//
// Purges need `admin` on the namespace: a `write` token deletes records one at a time, and a
// request that empties a namespace is an operator's act, as the access model's admin operations
// are. Checks run in the content API's order: access before the namespace lookup, so a client
// without a token learns nothing of which namespaces exist.

import type { HttpRequest } from 'uWebSockets.js';
import { Status } from '../../engine/layout/status';
import type { NamespaceConfig } from '../../engine/layout/types';
import { Role } from './access-control';
import { contentPathPrefix, namespaceOf } from './content-path';
import type { ContentContext } from './http-content';
import type { HttpExchange } from './http-exchange';
import { admitHttp } from './http-access';
import { handleListing } from './http-listing';
import { handlePrefixPurge, handleTagPurge, tagPurgeSegment } from './http-purge';
import { parseQueryParams } from './query-params';

type Route = 'listing' | 'prefixPurge' | 'tagPurge';

/**
 * Answers the request when its path is /v1/{ns} or a POST to /v1/{ns}/_purge and returns true;
 * returns false for every other path, which the content API serves as before.
 */
export function routeNamespaceRequest(context: ContentContext, exchange: HttpExchange, req: HttpRequest, method: string, url: string): boolean {
  if (!url.startsWith(contentPathPrefix)) return false;
  const slash = url.indexOf('/', contentPathPrefix.length);
  const route = routeOf(method, slash < 0 ? null : url.slice(slash + 1));
  if (route === null) return false;
  const ns = namespaceOf(url.slice(contentPathPrefix.length, slash < 0 ? url.length : slash));
  if (ns === null) {
    exchange.refuse(Status.UnknownNamespace, 'the path names no namespace');
    return true;
  }
  const role = route === 'listing' ? Role.Read : Role.Admin;
  if (context.access.enabled && !admitHttp(context.access, req, exchange, (principal) => principal.roleFor(ns) >= role)) return true;
  const namespace = context.namespaces.get(ns);
  if (namespace === undefined) {
    exchange.refuse(Status.UnknownNamespace, `no namespace ${JSON.stringify(ns)}`);
    return true;
  }
  dispatch(context, exchange, req, route, namespace);
  return true;
}

function routeOf(method: string, rest: string | null): Route | null {
  if (rest === null) {
    if (method === 'get' || method === 'head') return 'listing';
    // Other methods (PUT /v1/{ns}) go on to the content API, which answers that a key is missing.
    return method === 'delete' ? 'prefixPurge' : null;
  }
  return method === 'post' && rest === tagPurgeSegment ? 'tagPurge' : null;
}

function dispatch(context: ContentContext, exchange: HttpExchange, req: HttpRequest, route: Route, namespace: NamespaceConfig): void {
  if (route === 'tagPurge') {
    handleTagPurge(context, exchange, req, namespace);
    return;
  }
  const query = parseQueryParams(req.getQuery() ?? '');
  if (!query.ok) {
    exchange.refuse(Status.InvalidArgument, query.message);
    return;
  }
  if (route === 'listing') handleListing(context, exchange, namespace, query.values);
  else handlePrefixPurge(context, exchange, namespace, query.values);
}
