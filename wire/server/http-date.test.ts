// formatHttpDate (http-date.ts) against V8's own Date#toUTCString, which it replaces on the GET path.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatHttpDate, formatHttpDateMs } from './http-date';

test('the same text as toUTCString at the edges of days, months, leap years and centuries', () => {
  const dates = [
    '1970-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '2000-02-29T12:00:00Z', '2000-03-01T00:00:00Z', '1900-02-28T23:59:59Z',
    '1900-03-01T00:00:00Z', '2100-02-28T23:59:59Z', '2100-03-01T00:00:00Z', '2024-12-31T23:59:59Z', '2026-11-29T13:35:59Z',
    '1000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '1582-10-15T00:00:00Z',
  ];
  for (const text of dates) {
    const seconds = Date.parse(text) / 1000;
    assert.equal(formatHttpDate(seconds), new Date(seconds * 1000).toUTCString(), text);
  }
});

test('the same text as toUTCString for 20,000 random seconds from year 1000 to 9999, and outside', () => {
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const first = Date.parse('1000-01-01T00:00:00Z') / 1000;
  const end = Date.parse('9999-12-31T23:59:59Z') / 1000;
  for (let index = 0; index < 20_000; index++) {
    const seconds = Math.floor(first + next() * (end - first));
    assert.equal(formatHttpDate(seconds), new Date(seconds * 1000).toUTCString(), String(seconds));
  }
  // Outside four-digit years V8 pads or signs the year: formatted by Date itself, so still equal.
  for (const seconds of [first - 1, end + 1, -62_198_755_200, 300_000_000_000]) assert.equal(formatHttpDate(seconds), new Date(seconds * 1000).toUTCString());
});

test('milliseconds are rounded down to the second, as Last-Modified shows them', () => {
  const ms = Date.parse('2026-11-29T13:35:59.999Z') + 0.123;
  assert.equal(formatHttpDateMs(ms), 'Sun, 29 Nov 2026 13:35:59 GMT');
  assert.equal(formatHttpDateMs(ms), new Date(ms).toUTCString());
});
