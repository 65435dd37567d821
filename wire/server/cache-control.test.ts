import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namespaceDefaults, normalizeEngineConfig } from '../../engine/front/config';
import type { NamespaceCachePolicy } from '../../engine/layout/types';
import { cacheControlFor } from './cache-control';

function namespaceWith(cache?: NamespaceCachePolicy) {
  const namespace = namespaceDefaults('pages');
  if (cache !== undefined) namespace.cache = cache;
  return namespace;
}

test('no policy: nothing without a TTL, max-age = seconds left with one', () => {
  const namespace = namespaceWith();
  assert.equal(cacheControlFor(namespace, 0, 1000), '');
  assert.equal(cacheControlFor(namespace, 1060, 1000), 'max-age=60');
  assert.equal(cacheControlFor(namespace, 900, 1000), 'max-age=0');
});

test('a full policy, and what a TTL keeps of it', () => {
  const namespace = namespaceWith({ maxAge: 60, sMaxAge: 600, staleWhileRevalidate: 30, staleIfError: 86400, immutable: true });
  assert.equal(cacheControlFor(namespace, 0, 1000), 'max-age=60, s-maxage=600, stale-while-revalidate=30, stale-if-error=86400, immutable');
  assert.equal(cacheControlFor(namespace, 1100, 1000), 'max-age=100, s-maxage=100, stale-while-revalidate=30, stale-if-error=86400, immutable');
  assert.equal(cacheControlFor(namespaceWith({ maxAge: 'no-cache' }), 0, 1000), 'no-cache');
  assert.equal(cacheControlFor(namespaceWith({ sMaxAge: 5 }), 0, 1000), 's-maxage=5');
});

test('the config validates every cache field', () => {
  const parsed = normalizeEngineConfig({ namespaces: [{ name: 'pages', cache: { maxAge: 'no-cache', staleIfError: 10 } }] });
  assert.deepEqual(parsed.namespaces[0]?.cache, { maxAge: 'no-cache', staleIfError: 10 });
  const bad: unknown[] = [{ maxAge: -1 }, { maxAge: 'forever' }, { sMaxAge: 1.5 }, { staleWhileRevalidate: '10' }, { immutable: 'yes' }, { maxage: 10 }, 'no-cache', [1]];
  for (const cache of bad) {
    assert.throws(() => normalizeEngineConfig({ namespaces: [{ name: 'pages', cache: cache as NamespaceCachePolicy }] }), /cache/, JSON.stringify(cache));
  }
});
