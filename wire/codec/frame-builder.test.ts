import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeRequest } from './decode-request';
import { encodeRequest } from './encode-request';

test('each encoded frame is its own copy: the shared builder never overwrites one', () => {
  const first = encodeRequest(1, [{ op: 'get', ns: 'n', key: 'first' }]);
  const firstBytes = first.slice();
  const large = encodeRequest(2, [{ op: 'put', ns: 'n', key: 'k', value: new Uint8Array(3 * 1024 * 1024) }]);
  const second = encodeRequest(3, [{ op: 'get', ns: 'n', key: 'second' }]);
  assert.deepEqual(first, firstBytes);
  assert.notEqual(first.buffer, second.buffer);
  assert.ok(decodeRequest(large).ok);
  assert.equal(first.byteOffset, 0);
  assert.equal(first.buffer.byteLength, first.length, 'the copy holds no builder slack');
});

test('a frame that failed half-way leaves the builder usable', () => {
  assert.throws(() => encodeRequest(1, [{ op: 'put', ns: 'n', key: 'k', value: 'v', ttl: 0.5 }]), RangeError);
  assert.ok(decodeRequest(encodeRequest(2, [{ op: 'get', ns: 'n', key: 'k' }])).ok);
});
