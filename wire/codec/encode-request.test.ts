import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeRequest } from './decode-request';
import { encodeRequest } from './encode-request';

test('values the protocol cannot carry throw instead of being truncated', () => {
  assert.throws(() => encodeRequest(-1, []), RangeError);
  assert.throws(() => encodeRequest(2 ** 53, []), RangeError);
  assert.throws(() => encodeRequest(1.5, []), RangeError);
  assert.throws(() => encodeRequest(1, [{ op: 'delete', ns: 'n', key: 'k', ifGeneration: 2 ** 32 }]), RangeError);
  assert.throws(() => encodeRequest(1, [{ op: 'unsubscribe', subId: -1 }]), RangeError);
  assert.throws(() => encodeRequest(1, [{ op: 'subscribe', subId: 1, ns: 'n', fromLsn: -1 }]), RangeError);
});

test('a get costs only its namespace, key and id: the kind is the default', () => {
  const frame = encodeRequest(1, [{ op: 'get', ns: 'n', key: 'k' }]);
  assert.ok(frame.length <= 80, `${frame.length} bytes`);
  assert.ok(decodeRequest(frame).ok);
});
