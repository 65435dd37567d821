import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cacheControlBytesMax, cacheControlOf, fitsContentTypeBytes, isCacheControlValue, joinStoredContentType, mediaTypeOf } from './stored-content-type';
import { Status } from './status';
import type { NamespaceConfig } from './types';
import { validateOp } from './validate-op';

test('join and split: absent, both, a Cache-Control alone', () => {
  for (const [contentType, cacheControl] of [['text/html', ''], ['text/html; charset=utf-8', 'max-age=30, must-revalidate'], ['', 'no-store'], ['', '']]) {
    const stored = joinStoredContentType(contentType!, cacheControl!);
    assert.equal(mediaTypeOf(stored), contentType);
    assert.equal(cacheControlOf(stored), cacheControl);
  }
  assert.equal(joinStoredContentType('text/html', ''), 'text/html', 'nothing added without one');
});

test('a Cache-Control value: visible ASCII with inner spaces, bounded', () => {
  for (const good of ['max-age=60', 'public, max-age=60, s-maxage=600', 'private="x"', 'a'.repeat(cacheControlBytesMax)]) assert.equal(isCacheControlValue(good), true, good);
  for (const bad of ['', ' max-age=1', 'max-age=1 ', 'max-age=1\r\nSet-Cookie: a=b', 'max-age=1\n', 'a\u0000', 'é', 'max\u007f', 'a'.repeat(cacheControlBytesMax + 1)]) {
    assert.equal(isCacheControlValue(bad), false, JSON.stringify(bad));
  }
  assert.equal(fitsContentTypeBytes(200, 'a'.repeat(54)), true);
  assert.equal(fitsContentTypeBytes(200, 'a'.repeat(55)), false);
});

test('validateOp checks the Cache-Control of a put, and both parts together', () => {
  const namespace: NamespaceConfig = { name: 'content', mode: 'store', ack: 'memory', memoryLimitBytes: 1 << 20, defaultTtlSec: 0, maxKeyBytes: 64, maxValueBytes: 1024 };
  const put = (contentType: string, cacheControl: string) => validateOp({ op: 'put', ns: 'content', key: 'k', value: 'v', contentType, cacheControl }, namespace);
  assert.equal(put('text/html', 'max-age=5'), Status.Ok);
  assert.equal(put('text/html', 'max-age=5\r\nX: y'), Status.InvalidArgument);
  assert.equal(put(`text/${'a'.repeat(200)}`, 'a'.repeat(60)), Status.InvalidArgument);
  assert.equal(put('text/html\nmax-age=5', ''), Status.InvalidContentType, 'the separator cannot be smuggled in a content type');
});
