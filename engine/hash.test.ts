import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyHash, partitionOf } from './hash';
import { partitionCount } from './limits';
import { PartitionMap } from './partition-map';

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

test('partitions spread evenly over 100k keys and shards own equal shares', () => {
  const counts = new Uint32Array(partitionCount);
  const keys = 100_000;
  for (let i = 0; i < keys; i++) {
    const key = bytes(`key-${i}`);
    counts[partitionOf(keyHash(0, key, 0, key.length))]!++;
  }
  const expected = keys / partitionCount;
  let chiSquare = 0;
  for (const count of counts) chiSquare += (count - expected) ** 2 / expected;
  // 4095 degrees of freedom: the 99.9th percentile of chi-square is about 4400.
  assert.ok(chiSquare < 4400, `chi-square ${chiSquare.toFixed(0)} too high for a uniform hash`);
  const map = new PartitionMap(3);
  const owned = [0, 0, 0];
  for (let partition = 0; partition < partitionCount; partition++) owned[map.shardOf(partition)]!++;
  assert.deepEqual(owned, [1366, 1365, 1365]);
});
