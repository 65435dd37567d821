import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyHash } from './hash';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

test('murmur3 x86_32 matches the reference vectors', () => {
  // Vectors from the reference implementation (SMHasher), seed 0 unless noted.
  assert.equal(keyHash(0, bytes(''), 0, 0), 0);
  assert.equal(keyHash(1, bytes(''), 0, 0), 0x514e28b7);
  assert.equal(keyHash(0, bytes('a'), 0, 1), 0x3c2569b2);
  assert.equal(keyHash(0, bytes('abcd'), 0, 4), 0x43ed676a);
  assert.equal(keyHash(0, bytes('Hello, world!'), 0, 13), 0xc0363e43);
  assert.equal(keyHash(0x9747b28c, bytes('The quick brown fox jumps over the lazy dog'), 0, 43), 0x2fa826cd);
});

test('hash of a sub-range equals hash of the copied bytes', () => {
  const data = bytes('xxarticles/2026/helloyy');
  assert.equal(keyHash(3, data, 2, 19), keyHash(3, bytes('articles/2026/hello'), 0, 19));
});

test('namespace id separates equal keys', () => {
  const key = bytes('same-key');
  assert.notEqual(keyHash(0, key, 0, key.length), keyHash(1, key, 0, key.length));
});
