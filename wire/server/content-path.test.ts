import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Status } from '../../engine/layout/status';
import { namespaceOf, parseContentPath, percentDecodeBytes } from './content-path';

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

test('a key keeps its slashes and is percent-decoded to bytes', () => {
  const parsed = parseContentPath('/v1/content/articles/2026/caf%C3%A9%20au%2Flait');
  assert.deepEqual(parsed, { ok: true, ns: 'content', key: bytes('articles/2026/café au/lait') });
});

test('percent-decoding yields raw bytes, not a re-encoded string', () => {
  assert.deepEqual(percentDecodeBytes('%ff%00a'), new Uint8Array([0xff, 0x00, 0x61]));
  assert.deepEqual(percentDecodeBytes('plain'), bytes('plain'));
});

test('a bad escape, a missing key and an empty namespace are typed failures', () => {
  assert.equal(percentDecodeBytes('a%2'), null);
  assert.equal(percentDecodeBytes('a%zz'), null);
  const badEscape = parseContentPath('/v1/content/a%g0');
  assert.equal(badEscape.ok, false);
  assert.equal(!badEscape.ok && badEscape.status, Status.InvalidKey);
  const noKey = parseContentPath('/v1/content');
  assert.equal(!noKey.ok && noKey.status, Status.InvalidKey);
  const emptyKey = parseContentPath('/v1/content/');
  assert.deepEqual(emptyKey, { ok: true, ns: 'content', key: new Uint8Array(0) });
  const noNamespace = parseContentPath('/v1//key');
  assert.equal(!noNamespace.ok && noNamespace.status, Status.UnknownNamespace);
});

test('plain ASCII (the fast path) and UTF-8 or percent-encoded text give the same bytes and names', () => {
  // uWS hands the path as it came (raw UTF-8 read as text): a non-ASCII character takes the Buffer path.
  for (const key of ['plain/key:000123', 'a b', 'é/€/𝄞', '%41bc', '~!$&()*+,;=@']) {
    assert.deepEqual(percentDecodeBytes(key), key.includes('%') ? bytes('Abc') : bytes(key), key);
  }
  assert.deepEqual(parseContentPath('/v1/caf%C3%A9/k'), { ok: true, ns: 'café', key: bytes('k') });
  assert.deepEqual(parseContentPath('/v1/café/k'), { ok: true, ns: 'café', key: bytes('k') });
  assert.equal(namespaceOf('%zz'), null);
  assert.equal(namespaceOf(''), null);
  assert.equal(namespaceOf('content'), 'content');
});
