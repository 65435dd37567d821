import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyFraming } from './body-framing';

test('bodyFraming: valid lengths, chunked, none', () => {
  assert.deepEqual(bodyFraming(['0'], []), { kind: 'length', bytes: 0 });
  assert.deepEqual(bodyFraming(['12'], []), { kind: 'length', bytes: 12 });
  assert.deepEqual(bodyFraming(['5', '5'], []), { kind: 'length', bytes: 5 }, 'repeated but equal is allowed');
  assert.deepEqual(bodyFraming([], ['chunked']), { kind: 'chunked' });
  assert.deepEqual(bodyFraming([], ['Chunked']), { kind: 'chunked' });
  assert.deepEqual(bodyFraming([], []), { kind: 'none' });
});

test('bodyFraming: malformed, ambiguous and differing lengths are invalid', () => {
  const invalid: [string[], string[]][] = [
    [['abc'], []],
    [['-5'], []],
    [['+5'], []],
    [['1,5'], []],
    [['5 '], []],
    [[''], []],
    [['1e3'], []],
    [['0x10'], []],
    [['1234567890123456'], []],
    [['3', '5'], []],
    [['3', 'abc'], []],
    [['3'], ['chunked']],
    [[], ['gzip']],
    [[], ['chunked, gzip']],
    [[], ['gzip, chunked']],
    [[], ['chunked, chunked']],
    [[], ['chunked', 'chunked']],
    [[], ['chunked', 'gzip']],
    [[], ['gzip', 'chunked']],
    [[], ['']],
    [['3'], ['']],
    [Array.from({ length: 9 }, () => '1'), []],
  ];
  for (const [lengths, encoding] of invalid) {
    assert.equal(bodyFraming(lengths, encoding).kind, 'invalid', JSON.stringify([lengths, encoding]));
  }
});
