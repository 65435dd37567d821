// The Cache-Control of a record served over HTTP, from its namespace's cache policy (the "cache"
// entry of the namespace config) and its TTL:
//   - a record with a TTL: max-age = the seconds it has left (s-maxage no longer than that), then
//     the policy's stale-while-revalidate, stale-if-error and immutable;
//   - a record without one: the policy as configured (maxAge: "no-cache" gives no-cache);
//   - no policy and no TTL: no Cache-Control at all.
// The header for records without a TTL is built once per namespace and kept.

import type { NamespaceCachePolicy, NamespaceConfig } from '../../engine/layout/types';

interface PolicyHeaders {
  /** The whole value for records without a TTL ('' = send none). */
  withoutTtl: string;
  /** What follows max-age for records with one (', stale-while-revalidate=60...'). */
  ttlSuffix: string;
  sMaxAge: number | undefined;
}

const built = new WeakMap<NamespaceConfig, PolicyHeaders>();

function buildHeaders(policy: NamespaceCachePolicy | undefined): PolicyHeaders {
  if (policy === undefined) return { withoutTtl: '', ttlSuffix: '', sMaxAge: undefined };
  const tail: string[] = [];
  if (policy.staleWhileRevalidate !== undefined) tail.push(`stale-while-revalidate=${policy.staleWhileRevalidate}`);
  if (policy.staleIfError !== undefined) tail.push(`stale-if-error=${policy.staleIfError}`);
  if (policy.immutable === true) tail.push('immutable');
  const head: string[] = [];
  if (policy.maxAge === 'no-cache') head.push('no-cache');
  else if (policy.maxAge !== undefined) head.push(`max-age=${policy.maxAge}`);
  if (policy.sMaxAge !== undefined) head.push(`s-maxage=${policy.sMaxAge}`);
  return {
    withoutTtl: [...head, ...tail].join(', '),
    ttlSuffix: tail.map((directive) => `, ${directive}`).join(''),
    sMaxAge: policy.sMaxAge,
  };
}

/** The Cache-Control value for a record of this namespace ('' = none); expiry in epoch seconds, 0 = never. */
export function cacheControlFor(namespace: NamespaceConfig, expiry: number, nowSec: number): string {
  let headers = built.get(namespace);
  if (headers === undefined) {
    headers = buildHeaders(namespace.cache);
    built.set(namespace, headers);
  }
  if (expiry === 0) return headers.withoutTtl;
  const secondsLeft = Math.max(0, expiry - nowSec);
  const sMaxAge = headers.sMaxAge === undefined ? '' : `, s-maxage=${Math.min(headers.sMaxAge, secondsLeft)}`;
  return `max-age=${secondsLeft}${sMaxAge}${headers.ttlSuffix}`;
}
