import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeServerFrame } from './decode-server-frame';
import { encodeRequest } from './encode-request';
import { encodeEvent } from './encode-event';
import { encodeResponse } from './encode-response';
import { ownedCopy } from './owned-bytes';

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

test('borrowed bytes: values, scanned keys and event keys are copies that outlive a reused buffer', () => {
  const scanned = { key: Uint8Array.of(5, 6), value: Uint8Array.of(8), generation: 2, expiry: 0, lastModified: 0, contentType: '' };
  const response = encodeResponse(3, [
    { status: 0, value: Uint8Array.of(7, 7, 7), created: false, generation: 1, expiry: 0, lastModified: 0, contentType: 'text/plain' },
    { records: [scanned], cursor: null },
  ]);
  const reading = response.slice(); // a read buffer the socket will reuse
  const decoded = decodeServerFrame(reading, true);
  reading.fill(0);
  assert.ok(decoded.type === 'response');
  assert.equal(decoded.id, 3);
  assert.deepEqual(decoded.results[0]?.value, Uint8Array.of(7, 7, 7));
  assert.equal(decoded.results[0]?.contentType, 'text/plain');
  assert.deepEqual(decoded.results[1]?.records[0]?.key, Uint8Array.of(5, 6));
  assert.deepEqual(decoded.results[1]?.records[0]?.value, Uint8Array.of(8));
  assert.deepEqual(decodeServerFrame(response), decodeServerFrame(response.slice(), true), 'the same frame either way');

  const event = encodeEvent(4, { lsn: 9, kind: 'put', ns: 'n', key: Uint8Array.of(1, 2), generation: 1, expiry: 0, lastModified: 0, contentType: '', value: Uint8Array.of(3) });
  const eventReading = event.slice();
  const decodedEvent = decodeServerFrame(eventReading, true);
  eventReading.fill(0);
  assert.ok(decodedEvent.type === 'event' && !('gap' in decodedEvent.change));
  assert.deepEqual(decodedEvent.change.key, Uint8Array.of(1, 2));
  assert.deepEqual(decodedEvent.change.value, Uint8Array.of(3));
});

test('ownedCopy: small copies share 8 KiB slabs, larger ones get their own memory, none shares the source', () => {
  const source = new Uint8Array(10_000).map((_, index) => index % 251);
  const small = ownedCopy(source.subarray(0, 1000));
  const next = ownedCopy(source.subarray(1000, 2000));
  assert.equal(small.buffer, next.buffer, 'one slab');
  assert.equal(small.buffer.byteLength, 8 * 1024);
  assert.equal(next.byteOffset % 8, 0);
  const large = ownedCopy(source.subarray(0, 5000));
  assert.equal(large.buffer.byteLength, 5000);
  for (const copy of [small, next, large]) assert.notEqual(copy.buffer, source.buffer);
  source.fill(0);
  assert.deepEqual([small[1], next[1], large[4999]], [1, 1001 % 251, 4999 % 251]);
  // A slab that cannot take a copy is replaced, and the earlier copies keep theirs.
  const copies = Array.from({ length: 12 }, (_, index) => ownedCopy(Uint8Array.of(index, ...new Array<number>(999).fill(index))));
  assert.ok(new Set(copies.map((copy) => copy.buffer)).size >= 2);
  copies.forEach((copy, index) => assert.ok(copy.every((byte) => byte === index)));
  assert.equal(Object.getPrototypeOf(small), Uint8Array.prototype, 'a plain Uint8Array, not a Buffer');
});
