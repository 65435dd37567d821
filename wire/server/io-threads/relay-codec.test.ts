// RelayWriter and RelayReader: every field type round-trips, the buffer grows past its first
// 64 KiB and take() starts afresh; a request head round-trips; out-of-range writes and reads past
// the end are refused (both ends are built together, so either is a bug: an invariant).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { InvariantError } from '../../../engine/layout/assert';
import { readHead, RelayReader, RelayWriter, UpRecord, writeHead, type RelayedHead } from './relay-codec';

const initialBytes = 64 * 1024;

function readerOf(writer: RelayWriter): RelayReader {
  return new RelayReader(writer.take());
}

test('u8, u32 at both edges and f64 (negative, fractional, 2^53) round-trip in order', () => {
  const writer = new RelayWriter();
  writer.u8(0).u8(255).u32(0).u32(2 ** 32 - 1).u32(123_456).f64(-1).f64(2 ** 53).f64(0.1).f64(-0);
  assert.equal(writer.length, 2 + 3 * 4 + 4 * 8);
  const reader = readerOf(writer);
  assert.equal(reader.u8(), 0);
  assert.equal(reader.u8(), 255);
  assert.equal(reader.u32(), 0);
  assert.equal(reader.u32(), 2 ** 32 - 1);
  assert.equal(reader.u32(), 123_456);
  assert.equal(reader.f64(), -1);
  assert.equal(reader.f64(), 2 ** 53);
  assert.equal(reader.f64(), 0.1);
  assert.ok(Object.is(reader.f64(), -0));
  assert.equal(reader.done, true);
});

test('strings: empty, ASCII, non-ASCII (2-, 3- and 4-byte UTF-8) round-trip', () => {
  const texts = ['', 'plain', 'café', '日本語のキー', '😀 emoji', 'a\u0000b'];
  const writer = new RelayWriter();
  for (const text of texts) writer.string(text);
  const expectedBytes = texts.reduce((sum, text) => sum + 4 + Buffer.byteLength(text, 'utf8'), 0);
  assert.equal(writer.length, expectedBytes, 'each string is its u32 length and its UTF-8 bytes, no slack');
  const reader = readerOf(writer);
  for (const text of texts) assert.equal(reader.string(), text);
  assert.equal(reader.done, true);
});

test('bytes: empty, small, a Uint8Array view with an offset, an ArrayBuffer, and 1 MiB', () => {
  const large = new Uint8Array(1024 * 1024);
  for (let index = 0; index < large.length; index++) large[index] = (index * 31) & 0xff;
  const backing = new Uint8Array([9, 8, 7, 6, 5, 4]);
  const writer = new RelayWriter();
  writer.bytes(new Uint8Array(0)).bytes(new Uint8Array([1, 2, 3])).bytes(backing.subarray(2, 5)).bytes(new Uint8Array([42, 43]).buffer).bytes(large);
  const reader = readerOf(writer);
  assert.deepEqual([...reader.bytes()], []);
  assert.deepEqual([...reader.bytes()], [1, 2, 3]);
  assert.deepEqual([...reader.bytes()], [7, 6, 5], 'only the view is written, not its whole buffer');
  assert.deepEqual([...reader.bytes()], [42, 43]);
  const readLarge = reader.bytes();
  assert.equal(readLarge.byteLength, large.byteLength);
  assert.ok(Buffer.from(readLarge).equals(Buffer.from(large)));
  assert.equal(reader.done, true);
});

test('the buffer grows past its first 64 KiB with earlier records intact, across many small writes', () => {
  const writer = new RelayWriter();
  const count = 40_000; // 40,000 × (1 + 4) bytes = 200,000 bytes: several doublings.
  for (let index = 0; index < count; index++) writer.u8(index & 0xff).u32(index);
  assert.equal(writer.length, count * 5);
  assert.ok(writer.length > initialBytes);
  const reader = readerOf(writer);
  for (let index = 0; index < count; index++) {
    assert.equal(reader.u8(), index & 0xff);
    assert.equal(reader.u32(), index);
  }
  assert.equal(reader.done, true);
});

test('a string whose worst case crosses the end of the buffer grows it first', () => {
  const writer = new RelayWriter();
  writer.bytes(new Uint8Array(initialBytes - 10));
  const text = 'é'.repeat(1000);
  writer.string(text);
  const reader = readerOf(writer);
  assert.equal(reader.bytes().byteLength, initialBytes - 10);
  assert.equal(reader.string(), text);
  assert.equal(reader.done, true);
});

test('take() hands over exactly the bytes written and resets the length; the next batch starts empty', () => {
  const writer = new RelayWriter();
  writer.u32(7).string('first');
  const first = writer.take();
  assert.equal(first.byteLength, 4 + 4 + 5);
  assert.equal(writer.length, 0);
  assert.equal(writer.take().byteLength, 0, 'nothing written since: an empty buffer');
  writer.u32(8);
  const second = new RelayReader(writer.take());
  assert.equal(second.u32(), 8);
  assert.equal(second.done, true);
  // The first buffer is the caller's own: later writes do not change it.
  const firstReader = new RelayReader(first);
  assert.equal(firstReader.u32(), 7);
  assert.equal(firstReader.string(), 'first');
});

/** Runs `body` with Uint8Array constructions of a size counted (how the writer's buffer is seen). */
function sizedAllocations(body: () => void): number[] {
  const sizes: number[] = [];
  const original = globalThis.Uint8Array;
  globalThis.Uint8Array = new Proxy(original, {
    construct(target, args: unknown[], newTarget): object {
      if (typeof args[0] === 'number') sizes.push(args[0]);
      return Reflect.construct(target, args, newTarget === globalThis.Uint8Array ? target : newTarget) as object;
    },
  });
  try {
    body();
  } finally {
    globalThis.Uint8Array = original;
  }
  return sizes;
}

test('take() after a big turn does not keep the big buffer; after a modest one it keeps it', () => {
  const writer = new RelayWriter();
  writer.bytes(new Uint8Array(1024 * 1024));
  assert.deepEqual(sizedAllocations(() => writer.take()), [initialBytes], 'a buffer over 4 × 64 KiB is replaced by a 64 KiB one');
  assert.equal(writer.length, 0);
  // The fresh buffer is 64 KiB: one more byte than that grows it (to 128 KiB).
  writer.bytes(new Uint8Array(initialBytes - 4));
  assert.deepEqual(sizedAllocations(() => writer.u8(1)), [2 * initialBytes]);
  // 128 KiB is not over the limit: take() keeps it, and the next turn writes 100 KiB without growing.
  assert.deepEqual(sizedAllocations(() => writer.take()), []);
  assert.deepEqual(sizedAllocations(() => writer.bytes(new ArrayBuffer(100 * 1024))), [], 'a kept buffer: no growth');
  const reader = readerOf(writer);
  assert.equal(reader.bytes().byteLength, 100 * 1024);
  assert.equal(reader.done, true);
});

test('writeHead/readHead round-trip a request head with many headers, non-ASCII and empty values', () => {
  const headers: [string, string][] = [];
  for (let index = 0; index < 200; index++) headers.push([`x-header-${index}`, `value ${index} ü`]);
  headers.push(['empty', '']);
  headers.push(['x-header-0', 'a repeat of a name keeps its place']);
  const head: RelayedHead = { reqId: 2 ** 32 - 1, method: 'PATCH', url: '/v1/ns/ключ', query: 'a=1&b=%20', remoteAddress: '::1', headers };
  const writer = new RelayWriter();
  writeHead(writer, UpRecord.Request, head);
  writeHead(writer, UpRecord.Upgrade, { reqId: 0, method: '', url: '', query: '', remoteAddress: '', headers: [] });
  const reader = readerOf(writer);
  assert.equal(reader.u8(), UpRecord.Request);
  assert.deepEqual(readHead(reader), head);
  assert.equal(reader.u8(), UpRecord.Upgrade);
  assert.deepEqual(readHead(reader), { reqId: 0, method: '', url: '', query: '', remoteAddress: '', headers: [] });
  assert.equal(reader.done, true);
});

test('a u32 out of range is refused by the assert and writes nothing', () => {
  const writer = new RelayWriter();
  for (const bad of [-1, 2 ** 32, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => writer.u32(bad), InvariantError, `u32(${bad})`);
  }
  assert.equal(writer.length, 0);
});

test('reading past the end is refused, for every field type', () => {
  const empty = (): RelayReader => new RelayReader(new ArrayBuffer(0));
  assert.throws(() => empty().u8(), InvariantError);
  assert.throws(() => empty().u32(), InvariantError);
  assert.throws(() => empty().f64(), InvariantError);
  assert.throws(() => empty().string(), InvariantError);
  assert.throws(() => empty().bytes(), InvariantError);
  assert.throws(() => new RelayReader(new ArrayBuffer(3)).u32(), InvariantError, 'a u32 needs 4 bytes');
  assert.throws(() => new RelayReader(new ArrayBuffer(7)).f64(), InvariantError, 'an f64 needs 8 bytes');
  // A length that claims more bytes than the buffer holds.
  const writer = new RelayWriter();
  writer.u32(10).u8(1).u8(2);
  assert.throws(() => readerOf(writer).bytes(), InvariantError);
  writer.u32(10).u8(65);
  assert.throws(() => readerOf(writer).string(), InvariantError);
  // A head cut short.
  writeHead(writer, UpRecord.Request, { reqId: 1, method: 'GET', url: '/x', query: '', remoteAddress: '1.2.3.4', headers: [['a', 'b']] });
  const whole = new Uint8Array(writer.take());
  const cut = new RelayReader(whole.slice(0, whole.length - 1).buffer);
  cut.u8();
  assert.throws(() => readHead(cut), InvariantError);
});
