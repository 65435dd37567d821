import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';
import { utf8ByteLength } from '../../engine/layout/utf8-byte-length';

const encoder = new TextEncoder();

test('utf8ByteLength matches TextEncoder, lone surrogates included', () => {
  for (const text of ['', 'a', 'é', '€', '𝄞', '\ud800', '\udc00x', 'a\ud800\udc00b', '\ud83d']) {
    assert.equal(utf8ByteLength(text), encoder.encode(text).length, JSON.stringify(text));
  }
  const seed = testSeed();
  console.log(`utf8ByteLength seed=${seed} (TESSERA_SEED=${seed} to replay)`);
  const random = new SeededRandom(seed);
  const units = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xffff];
  for (let round = 0; round < 5_000; round++) {
    let text = '';
    const length = random.below(6);
    for (let index = 0; index < length; index++) text += String.fromCharCode(random.pick(units));
    assert.equal(utf8ByteLength(text), encoder.encode(text).length, JSON.stringify(text));
  }
});
