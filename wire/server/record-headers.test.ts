// The preformatted header block of a GET (record-headers.ts): byte for byte the headers the
// one-by-one path writes, checked pieces only, and nothing kept per record version.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NamespaceConfig } from '../../engine/layout/types';
import { cacheControlFor } from './cache-control';
import { formatEntityTag } from './entity-tags';
import { RecordHeaderFormatter, sandboxLines } from './record-headers';

function namespace(name: string, cache?: NamespaceConfig['cache']): NamespaceConfig {
  const config: NamespaceConfig = { name, mode: 'store', ack: 'memory', memoryLimitBytes: 1 << 20, defaultTtlSec: 0, maxKeyBytes: 64, maxValueBytes: 1024 };
  if (cache !== undefined) config.cache = cache;
  return config;
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
const statusPrefix = '200 OK\r\nETag: ';

/** The statusBlock's headers after its status line and `ETag: `, checked to begin with them. */
function headersOf(formatter: RecordHeaderFormatter, ...args: Parameters<RecordHeaderFormatter['statusBlock']>): Uint8Array {
  const bytes = formatter.statusBlock(...args);
  assert.equal(text(bytes.subarray(0, statusPrefix.length)), statusPrefix);
  return bytes.subarray(statusPrefix.length);
}

/** The headers as the one-by-one path wrote them (content-read.ts before the block), as text. */
function expected(ns: NamespaceConfig, lastModified: number, generation: number, expiry: number, contentType: string, cacheControl: string, nowSec: number): string {
  const policy = cacheControl !== '' ? cacheControl : cacheControlFor(ns, expiry, nowSec);
  const lines = [formatEntityTag(lastModified, generation), `Tessera-Generation: ${generation}`, `Content-Type: ${contentType}`, `Last-Modified: ${new Date(lastModified).toUTCString()}`];
  if (policy !== '') lines.push(`Cache-Control: ${policy}`);
  lines.push('Accept-Ranges: bytes', sandboxLines);
  return lines.join('\r\n');
}

test('the block holds the headers of the one-by-one path, for random versions, types, policies and TTLs', () => {
  const formatter = new RecordHeaderFormatter();
  const namespaces = [namespace('plain'), namespace('pages', { maxAge: 60, sMaxAge: 600, staleWhileRevalidate: 30, staleIfError: 86400 }), namespace('drafts', { maxAge: 'no-cache' })];
  const stored: [string, string, string][] = [
    ['', 'application/octet-stream', ''],
    ['text/html; charset=utf-8', 'text/html; charset=utf-8', ''],
    ['image/png\nmax-age=5, public', 'image/png', 'max-age=5, public'],
    ['not a media type', 'application/octet-stream', ''],
  ];
  let seed = 7;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const nowSec = Math.floor(Date.now() / 1000);
  for (let index = 0; index < 2000; index++) {
    const ns = namespaces[index % namespaces.length]!;
    const [storedType, contentType, cacheControl] = stored[Math.floor(next() * stored.length)]!;
    // Stamps as the shards make them: epoch ms with a µs fraction.
    const lastModified = Math.floor(1.7e12 + next() * 1e11) + Math.floor(next() * 1000) / 1000;
    const generation = 1 + Math.floor(next() * (index % 3 === 0 ? 2 ** 40 : 1000));
    const expiry = index % 4 === 0 ? nowSec + Math.floor(next() * 100_000) : 0;
    const types = formatter.typeHeaders(ns, storedType, expiry);
    const block = text(headersOf(formatter, types, lastModified, generation, expiry, nowSec));
    assert.equal(block, expected(ns, lastModified, generation, expiry, contentType, cacheControl, nowSec), `record ${index}`);
  }
});

test('a new version of the same record gives new headers at once: nothing is kept per version', () => {
  const formatter = new RecordHeaderFormatter();
  const ns = namespace('content');
  const first = text(headersOf(formatter, formatter.typeHeaders(ns, 'text/plain', 0), 1_795_959_326_820.001, 1, 0, 0));
  const second = text(headersOf(formatter, formatter.typeHeaders(ns, 'text/html\nno-store', 0), 1_795_959_400_000.5, 2, 0, 0));
  assert.match(first, /^"1795959326820001-1"\r\nTessera-Generation: 1\r\nContent-Type: text\/plain\r\n/);
  assert.match(second, /^"1795959400000500-2"\r\nTessera-Generation: 2\r\nContent-Type: text\/html\r\nLast-Modified: [^\r]+\r\nCache-Control: no-store\r\n/);
  // The same (lastModified, generation) pair in another record with another type: its own headers.
  const other = text(headersOf(formatter, formatter.typeHeaders(ns, 'image/png', 0), 1_795_959_326_820.001, 1, 0, 0));
  assert.match(other, /Content-Type: image\/png\r\n/);
  assert.doesNotMatch(other, /Cache-Control/);
});

test('a stored content type or Cache-Control that is not a header value never reaches the block', () => {
  const formatter = new RecordHeaderFormatter();
  const ns = namespace('content');
  for (const storedType of ['text/html\r\nSet-Cookie: a=b', 'text/plain\nmax-age=1\r\nX-Evil: 1', 'text/plain\nmax-age=1\u0000', 'tëxt/plain']) {
    const block = text(headersOf(formatter, formatter.typeHeaders(ns, storedType, 0), 1_700_000_000_000, 1, 0, 0));
    // Only visible ASCII, SP and the block's own CRLFs, each followed by a header of ours: what
    // passes isCacheControlValue (the text after the stored LF) may only be Cache-Control's value.
    assert.match(block, /^[\x20-\x7e]*(\r\n[\x20-\x7e]+)*$/, storedType);
    assert.doesNotMatch(block, /\r\n(Set-Cookie|X-Evil)/);
    const names = block.split('\r\n').slice(1).map((line) => line.slice(0, line.indexOf(':')));
    const expectedNames = ['Tessera-Generation', 'Content-Type', 'Last-Modified', 'Accept-Ranges', 'X-Content-Type-Options', 'Content-Security-Policy'];
    assert.deepEqual(names.filter((name) => name !== 'Cache-Control'), expectedNames, storedType);
  }
});

test('a TTL record without its own Cache-Control counts max-age down per call', () => {
  const formatter = new RecordHeaderFormatter();
  const ns = namespace('pages', { maxAge: 60, sMaxAge: 600 });
  const types = formatter.typeHeaders(ns, '', 1000);
  assert.match(text(headersOf(formatter, types, 1_700_000_000_000, 3, 1000, 900)), /\r\nCache-Control: max-age=100, s-maxage=100\r\n/);
  assert.match(text(headersOf(formatter, types, 1_700_000_000_000, 3, 1000, 990)), /\r\nCache-Control: max-age=10, s-maxage=10\r\n/);
  assert.match(text(headersOf(formatter, types, 1_700_000_000_000, 3, 1000, 2000)), /\r\nCache-Control: max-age=0, s-maxage=0\r\n/);
});
