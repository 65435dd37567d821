import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatEntityTag, matchesStrongly, matchesWeakly, parseEntityTags, weakEntityTag } from './entity-tags';

test('reads absent, any, and lists of tags', () => {
  assert.deepEqual(parseEntityTags(''), { kind: 'absent' });
  assert.deepEqual(parseEntityTags(' * '), { kind: 'any' });
  assert.deepEqual(parseEntityTags('"3"'), { kind: 'tags', tags: ['"3"'], weak: [false] });
  assert.deepEqual(parseEntityTags('"3", W/"4", x, "a"b"'), { kind: 'tags', tags: ['"3"', '"4"'], weak: [false, true] });
});

test('the ETag differs for the same generation at another stamp, and for another generation', () => {
  const first = formatEntityTag(1_795_000_000_123.001, 1);
  assert.match(first, /^"\d+-1"$/);
  assert.notEqual(first, formatEntityTag(1_795_000_000_123.002, 1));
  assert.notEqual(first, formatEntityTag(1_795_000_000_123.001, 2));
  assert.equal(first, formatEntityTag(1_795_000_000_123.001, 1));
});

test('strong comparison: a weak tag never matches; weak comparison: it does', () => {
  const tag = formatEntityTag(1_000_000, 4);
  assert.equal(matchesStrongly(parseEntityTags(tag), tag), true);
  assert.equal(matchesStrongly(parseEntityTags(weakEntityTag(tag)), tag), false);
  assert.equal(matchesWeakly(parseEntityTags(weakEntityTag(tag)), tag), true);
  assert.equal(matchesWeakly(parseEntityTags(`"other", ${tag}`), tag), true);
  assert.equal(matchesWeakly(parseEntityTags('"other"'), tag), false);
  assert.equal(matchesStrongly(parseEntityTags('*'), tag), true);
  assert.equal(matchesWeakly(parseEntityTags(''), tag), false);
  assert.equal(matchesStrongly(parseEntityTags(''), tag), false);
});
