import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';
import { isUtf8 } from './utf8-validate';

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

function decodesStrictly(bytes: Uint8Array): boolean {
  try {
    fatalDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function check(bytes: number[]): boolean {
  const array = Uint8Array.from(bytes);
  return isUtf8(array, 0, array.length);
}

test('isUtf8 accepts well-formed UTF-8', () => {
  assert.ok(check([]));
  assert.ok(check([...new TextEncoder().encode('ascii, é, €, 𝄞, 中文')]));
  assert.ok(check([0xf4, 0x8f, 0xbf, 0xbf])); // U+10FFFF
  assert.ok(check([0xed, 0x9f, 0xbf])); // U+D7FF, just below the surrogates
});

test('isUtf8 rejects what TextDecoder with fatal: true rejects', () => {
  assert.equal(check([0x80]), false, 'lone continuation');
  assert.equal(check([0xc0, 0x80]), false, 'overlong NUL');
  assert.equal(check([0xe0, 0x80, 0x80]), false, 'overlong 3-byte');
  assert.equal(check([0xf0, 0x80, 0x80, 0x80]), false, 'overlong 4-byte');
  assert.equal(check([0xed, 0xa0, 0x80]), false, 'surrogate U+D800');
  assert.equal(check([0xf4, 0x90, 0x80, 0x80]), false, 'above U+10FFFF');
  assert.equal(check([0xf5, 0x80, 0x80, 0x80]), false, 'invalid lead');
  assert.equal(check([0xe2, 0x82]), false, 'truncated');
  assert.equal(check([0xff]), false, 'never valid byte');
});

test('isUtf8 checks only its range', () => {
  const bytes = Uint8Array.from([0xff, 0x41, 0x42, 0xff]);
  assert.ok(isUtf8(bytes, 1, 3));
  assert.equal(isUtf8(bytes, 0, 3), false);
  // A sequence that would run past `end` is truncated even if the bytes after it would fit.
  const split = new TextEncoder().encode('€');
  assert.equal(isUtf8(split, 0, 2), false);
});

test('isUtf8 agrees with TextDecoder fatal on random bytes', () => {
  const seed = testSeed();
  console.log(`utf8 agreement seed=${seed} (TESSERA_SEED=${seed} to replay)`);
  const random = new SeededRandom(seed);
  // Bytes biased towards the multi-byte ranges so that valid and invalid sequences both occur.
  const interesting = [0x41, 0x7f, 0x80, 0xbf, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xa0, 0x9f, 0x90, 0x8f];
  for (let round = 0; round < 20_000; round++) {
    const length = random.below(8);
    const bytes = new Uint8Array(length);
    for (let index = 0; index < length; index++) {
      bytes[index] = random.next() < 0.7 ? random.pick(interesting) : random.below(256);
    }
    assert.equal(isUtf8(bytes, 0, length), decodesStrictly(bytes), `bytes ${Array.from(bytes).join(',')}`);
  }
});
