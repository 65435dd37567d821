import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { CompressedCopies } from './compressed-copies';
import { Coding, compressionBytesMax, compressionBytesMin, isCompressible, negotiateCoding } from './content-encoding';

test('Accept-Encoding: q-values, *, identity when absent or refused', () => {
  const cases: [string, Coding][] = [
    ['', Coding.Identity],
    ['identity', Coding.Identity],
    ['gzip', Coding.Gzip],
    ['x-gzip', Coding.Gzip],
    ['br', Coding.Brotli],
    ['gzip, deflate, br', Coding.Brotli],
    ['gzip;q=1.0, br;q=0.8', Coding.Gzip],
    ['br;q=0, gzip', Coding.Gzip],
    ['br;q=0, gzip;q=0', Coding.Identity],
    ['*', Coding.Brotli],
    ['*;q=0.5, gzip;q=0.9', Coding.Gzip],
    ['gzip;q=2', Coding.Identity],
    ['GZIP ; q=0.5', Coding.Gzip],
    ['deflate', Coding.Identity],
  ];
  for (const [header, coding] of cases) assert.equal(negotiateCoding(header), coding, header);
});

test('compressible: text-like types within the size bounds', () => {
  for (const type of ['text/html', 'text/plain; charset=utf-8', 'application/json', 'application/ld+json', 'application/javascript', 'image/svg+xml', 'application/atom+xml']) {
    assert.equal(isCompressible(type, 2048), true, type);
  }
  for (const type of ['image/png', 'video/mp4', 'application/octet-stream', 'application/zip', 'text/html\r\nX: y', '']) {
    assert.equal(isCompressible(type, 2048), false, type);
  }
  assert.equal(isCompressible('text/html', compressionBytesMin - 1), false);
  assert.equal(isCompressible('text/html', compressionBytesMax + 1), false);
});

test('compressed copies: made once per version and coding, bounded by bytes, least recent out first', () => {
  const copies = new CompressedCopies(4096);
  const key = new TextEncoder().encode('page');
  const value = new TextEncoder().encode('<p>hello</p>'.repeat(200));
  const gzip = copies.copy('content', key, '"a-1"', Coding.Gzip, value);
  assert.deepEqual(new Uint8Array(gunzipSync(gzip)), value);
  assert.equal(copies.copy('content', key, '"a-1"', Coding.Gzip, value), gzip, 'the same copy on a hit');
  assert.deepEqual(new Uint8Array(brotliDecompressSync(copies.copy('content', key, '"a-1"', Coding.Brotli, value))), value);
  assert.equal(copies.hits, 1);
  assert.equal(copies.misses, 2);
  // Another version misses: the tag is part of the key.
  copies.copy('content', key, '"b-2"', Coding.Gzip, value);
  assert.equal(copies.misses, 3);
  // Fill past the budget: the bytes held stay within it.
  for (let index = 0; index < 100; index++) copies.copy('content', new TextEncoder().encode(`k${index}`), `"${index}-1"`, Coding.Gzip, value);
  assert.ok(copies.bytes <= 4096, `${copies.bytes} bytes held`);
  assert.ok(copies.size < 100);
});
