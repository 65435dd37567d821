import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionCount } from './limits';
import { crc16, keySlot, keySlotCount, partitionOfKey } from './partition';
import { PartitionMap } from './partition-map';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const slotOf = (text: string): number => keySlot(bytes(text), 0, bytes(text).length);

test('CRC16-XMODEM matches its check value and Redis crc16.c', () => {
  // The CRC catalogue's check value for CRC-16/XMODEM over "123456789" is 0x31c3 (also the
  // test vector in Redis's src/crc16.c).
  const check = bytes('123456789');
  assert.equal(crc16(check, 0, check.length), 0x31c3);
  assert.equal(crc16(check, 0, 0), 0);
});

test('key slots equal Redis CLUSTER KEYSLOT (published vectors)', () => {
  // From the Redis Cluster specification and the CLUSTER KEYSLOT documentation.
  assert.equal(slotOf('foo'), 12182);
  assert.equal(slotOf('somekey'), 11058);
  assert.equal(slotOf('bar'), 5061);
  assert.equal(slotOf('hello'), 866);
  assert.equal(slotOf('{user1000}.following'), slotOf('{user1000}.followers'));
  assert.equal(slotOf('{user1000}.following'), slotOf('user1000'));
  // Checked against redis-server 7 (`redis-cli CLUSTER KEYSLOT`, cluster-enabled, 2026-11-29).
  assert.equal(slotOf('{user1000}.following'), 3443);
  assert.equal(slotOf('foo{{bar}}zap'), 4015);
  assert.equal(slotOf('foo{}{bar}'), 8363);
  assert.equal(slotOf('foo{bar'), 15278);
  assert.equal(slotOf('{site:x}/home'), 5890);
  assert.equal(slotOf('123456789'), 12739);
});

test('the hash-tag rule: the first non-empty {...} only', () => {
  // Only the part between the first { and the first } after it is hashed.
  assert.equal(slotOf('{site:x}/home'), slotOf('site:x'));
  assert.equal(slotOf('{site:x}/home'), slotOf('{site:x}/sitemap'));
  assert.equal(slotOf('foo{bar}{zap}'), slotOf('bar'));
  assert.equal(slotOf('foo{{bar}}zap'), slotOf('{bar'));
  // An empty tag, or no closing brace: the whole key is hashed.
  assert.equal(slotOf('foo{}{bar}'), crc16(bytes('foo{}{bar}'), 0, 10) % keySlotCount);
  assert.equal(slotOf('foo{bar'), crc16(bytes('foo{bar'), 0, 7) % keySlotCount);
  // A sub-range of a larger buffer hashes like the copied bytes.
  const framed = bytes('xx{tag}keyyy');
  assert.equal(keySlot(framed, 2, 8), slotOf('{tag}key'));
});

test('partition = key slot >> 2; partitions spread evenly; shards own equal shares', () => {
  assert.equal(partitionOfKey(bytes('foo'), 0, 3), 12182 >> 2);
  const counts = new Uint32Array(partitionCount);
  const keys = 100_000;
  for (let i = 0; i < keys; i++) {
    const key = bytes(`key-${i}`);
    counts[partitionOfKey(key, 0, key.length)]!++;
  }
  const expected = keys / partitionCount;
  let chiSquare = 0;
  for (const count of counts) chiSquare += (count - expected) ** 2 / expected;
  // 4095 degrees of freedom: the 99.9th percentile of chi-square is about 4400.
  assert.ok(chiSquare < 4400, `chi-square ${chiSquare.toFixed(0)} too high for a uniform spread`);
  const map = new PartitionMap(3);
  const owned = [0, 0, 0];
  for (let partition = 0; partition < partitionCount; partition++) owned[map.shardOf(partition)]!++;
  assert.deepEqual(owned, [1366, 1365, 1365]);
  const key = bytes('{site:x}/home');
  assert.equal(map.shardOfKey(key, 0, key.length), map.shardOf(partitionOfKey(key, 0, key.length)));
});

test('the two-bytes-per-step CRC equals the byte-by-byte CRC at every length and offset', () => {
  const data = new Uint8Array(300);
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
  for (let i = 0; i < data.length; i++) if (data[i] === 0x7b) data[i] = 0x7a; // no braces: the fast path
  for (let start = 0; start < 4; start++) {
    for (let length = 0; length < 260; length++) {
      assert.equal(keySlot(data, start, length), crc16(data, start, start + length) % keySlotCount, `start ${start} length ${length}`);
    }
  }
});
