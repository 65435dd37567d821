import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatByteSize, parseByteSize } from './byte-size';

test('sizes: binary and SI units, case-insensitive, whole bytes only', () => {
  const cases: [string, number | null][] = [
    ['1GiB', 1024 ** 3], ['512MiB', 512 * 1024 ** 2], ['64 KiB', 65536], ['1.5GiB', 1.5 * 1024 ** 3], ['1gib', 1024 ** 3],
    ['500MB', 500_000_000], ['2kb', 2000], ['1024', 1024], ['1024B', 1024], ['1TiB', 1024 ** 4],
    ['0.3KiB', null], ['1 GiBs', null], ['GiB', null], ['-1MiB', null], ['1e3', null], ['', null], ['1PiB', null],
  ];
  for (const [text, bytes] of cases) assert.equal(parseByteSize(text), bytes, text);
});

test('sizes print in the largest whole-ish binary unit', () => {
  assert.equal(formatByteSize(1024 ** 3), '1 GiB');
  assert.equal(formatByteSize(1536 * 1024 ** 2), '1.5 GiB');
  assert.equal(formatByteSize(1000), '1000 B');
});
