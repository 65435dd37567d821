import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeRequest } from './decode-request';
import * as flatbuffers from 'flatbuffers';
import { encodeRequest } from './encode-request';
import { createUtf8String } from './frame-builder';

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

test('createUtf8String writes the bytes createString writes, ASCII or not, at any alignment', () => {
  const texts = ['', 'a', 'content', 'key:000000012345', 'é', 'ns/ключ', '😀x', 'x'.repeat(256), 'y'.repeat(257), `${'z'.repeat(255)}é`];
  for (const text of texts) {
    for (let padding = 0; padding < 4; padding++) {
      const expected = new flatbuffers.Builder(16);
      const actual = new flatbuffers.Builder(16);
      for (let index = 0; index < padding; index++) {
        expected.addInt8(7);
        actual.addInt8(7);
      }
      const expectedOffset = expected.createString(text);
      const actualOffset = createUtf8String(actual, text);
      assert.equal(actualOffset, expectedOffset, text);
      // finish() sets the read position, which createString also moves and createUtf8String need not.
      expected.finish(expectedOffset);
      actual.finish(actualOffset);
      assert.deepEqual(actual.asUint8Array(), expected.asUint8Array(), text);
    }
  }
});
