import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeServerFrame } from './decode-server-frame';
import { encodeRequest } from './encode-request';
import { encodeResponse } from './encode-response';

test('what is not a server frame is invalid, never an exception', () => {
  assert.equal(decodeServerFrame(new Uint8Array(0)).type, 'invalid');
  assert.equal(decodeServerFrame(Uint8Array.of(1, 2, 3)).type, 'invalid');
  // A request read as a server frame: same identifier, different root table.
  assert.equal(decodeServerFrame(encodeRequest(1, [{ op: 'get', ns: 'n', key: 'k' }])).type, 'invalid');
});

test('values are views into the received frame', () => {
  const frame = encodeResponse(1, [{ status: 0, value: Uint8Array.of(7), created: false, generation: 1, expiry: 0, lastModified: 0, contentType: '' }]);
  const decoded = decodeServerFrame(frame);
  assert.ok(decoded.type === 'response');
  assert.equal(decoded.results[0]?.value?.buffer, frame.buffer);
});
