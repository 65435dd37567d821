import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatEntityTag, matchesGeneration, parseEntityTags } from './entity-tags';

test('reads absent, any, and lists of tags', () => {
  assert.deepEqual(parseEntityTags('', true), { kind: 'absent' });
  assert.deepEqual(parseEntityTags(' * ', true), { kind: 'any' });
  assert.deepEqual(parseEntityTags('"3"', false), { kind: 'tags', generations: [3], count: 1 });
  assert.deepEqual(parseEntityTags('"3", W/"4", "x"', true), { kind: 'tags', generations: [3, 4], count: 3 });
});

test('If-Match compares strongly: a weak tag never matches', () => {
  assert.deepEqual(parseEntityTags('W/"4"', false), { kind: 'tags', generations: [], count: 1 });
});

test('tags that are not a generation never match', () => {
  for (const header of ['"0"', '"-1"', '"01"', '"99999999999"', '3', '"abc"']) {
    const condition = parseEntityTags(header, true);
    assert.equal(condition.kind, 'tags', header);
    assert.deepEqual(condition.kind === 'tags' && condition.generations, [], header);
  }
});

test('matchesGeneration and formatEntityTag round-trip', () => {
  assert.equal(matchesGeneration(parseEntityTags(formatEntityTag(12), false), 12), true);
  assert.equal(matchesGeneration(parseEntityTags(formatEntityTag(12), false), 13), false);
  assert.equal(matchesGeneration(parseEntityTags('*', false), 1), true);
  assert.equal(matchesGeneration(parseEntityTags('', false), 1), false);
});
