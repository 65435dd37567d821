// Topic names and filters: which topics a change is published to, which one a subscription
// listens on, and what a prefix not ending in `/` means.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { changeTopics, filterMatches, keyBytes, subscriptionTopic, type SubscriptionFilter } from './topics';

const topicsOf = (ns: string, key: string): string[] => {
  const out: string[] = [];
  const count = changeTopics(ns, Buffer.from(key, 'utf8').toString('latin1'), out);
  return out.slice(0, count);
};
const filter = (ns: string, options: { key?: string; prefix?: string } = {}): SubscriptionFilter => ({
  ns,
  key: options.key === undefined ? null : keyBytes(options.key),
  prefix: options.prefix === undefined ? null : keyBytes(options.prefix),
});

test('a change is published to its key, every prefix level, and its namespace', () => {
  assert.deepEqual(topicsOf('content', 'articles/2026/y/z'), [
    'k:content:articles/2026/y/z',
    'p:content:articles/',
    'p:content:articles/2026/',
    'p:content:articles/2026/y/',
    'n:content',
  ]);
  assert.deepEqual(topicsOf('c', 'plain'), ['k:c:plain', 'n:c']);
  assert.deepEqual(topicsOf('c', '/lead/trail/'), ['k:c:/lead/trail/', 'p:c:/', 'p:c:/lead/', 'p:c:/lead/trail/', 'n:c']);
});

test('a subscription listens on one base topic', () => {
  assert.deepEqual(subscriptionTopic(filter('c', { key: 'a/b' })), { topic: 'k:c:a/b', exact: true });
  assert.deepEqual(subscriptionTopic(filter('c', { prefix: 'articles/2026/' })), { topic: 'p:c:articles/2026/', exact: true });
  assert.deepEqual(subscriptionTopic(filter('c')), { topic: 'n:c', exact: true });
  assert.deepEqual(subscriptionTopic(filter('c', { prefix: '' })), { topic: 'n:c', exact: true });
});

test('a prefix not ending in / listens on its containing level and is filtered exactly', () => {
  assert.deepEqual(subscriptionTopic(filter('c', { prefix: 'articles/20' })), { topic: 'p:c:articles/', exact: false });
  assert.deepEqual(subscriptionTopic(filter('c', { prefix: 'art' })), { topic: 'n:c', exact: false });
  const partial = filter('c', { prefix: 'articles/20' });
  assert.equal(filterMatches(partial, 'c', keyBytes('articles/2026/x')), true);
  assert.equal(filterMatches(partial, 'c', keyBytes('articles/19/x')), false);
  assert.equal(filterMatches(partial, 'd', keyBytes('articles/2026/x')), false);
});

test('every key a prefix subscription matches is published on its topic', () => {
  const keys = ['articles/2026/x', 'articles/2026/y/z', 'articles/2026/', 'articles/2025/x', 'articles', 'art/x', 'x'];
  const prefixes = ['articles/2026/', 'articles/', 'articles/20', 'art', '', 'articles/2026/y/z'];
  for (const prefix of prefixes) {
    const subscription = filter('c', { prefix });
    const { topic } = subscriptionTopic(subscription);
    for (const key of keys) {
      if (!filterMatches(subscription, 'c', keyBytes(key))) continue;
      assert.ok(topicsOf('c', key).includes(topic), `${key} reaches prefix ${JSON.stringify(prefix)} on ${topic}`);
    }
  }
  // articles/2026/ sees x and y/z, not 2025.
  const level = filter('c', { prefix: 'articles/2026/' });
  assert.deepEqual(keys.filter((key) => filterMatches(level, 'c', keyBytes(key))), ['articles/2026/x', 'articles/2026/y/z', 'articles/2026/']);
});

test('binary keys map to distinct topics, byte for byte', () => {
  const a = new Uint8Array([0xc3, 0xa9, 0x2f, 0x00]);
  const b = new Uint8Array([0xe9, 0x2f, 0x00]);
  const topicA = subscriptionTopic({ ns: 'c', key: a, prefix: null }).topic;
  const topicB = subscriptionTopic({ ns: 'c', key: b, prefix: null }).topic;
  assert.notEqual(topicA, topicB);
  const out: string[] = [];
  changeTopics('c', Buffer.from(a).toString('latin1'), out);
  assert.equal(out[0], topicA);
  assert.equal(out[1], subscriptionTopic({ ns: 'c', key: null, prefix: a.subarray(0, 3) }).topic);
});

test('a change with tags is published to each tag topic too; a tag subscription listens on its tag and matches whole tags only', () => {
  const run = new TextEncoder().encode('red blue-2 x');
  const out: string[] = [];
  const count = changeTopics('c', 'a/b', out, run);
  assert.deepEqual(out.slice(0, count), ['k:c:a/b', 'p:c:a/', 'n:c', 't:c:red', 't:c:blue-2', 't:c:x']);
  const red: SubscriptionFilter = { ns: 'c', key: null, prefix: null, tag: 'red' };
  assert.deepEqual(subscriptionTopic(red), { topic: 't:c:red', exact: true });
  assert.deepEqual(subscriptionTopic({ ...red, prefix: keyBytes('a/') }), { topic: 't:c:red', exact: false });
  assert.equal(filterMatches(red, 'c', keyBytes('a/b'), run), true);
  assert.equal(filterMatches(red, 'c', keyBytes('a/b'), null), false, 'no tags: no match');
  assert.equal(filterMatches(red, 'd', keyBytes('a/b'), run), false, 'another namespace');
  for (const tag of ['re', 'blue', '2', 'red blue-2', 'x ']) {
    assert.equal(filterMatches({ ...red, tag }, 'c', keyBytes('a/b'), run), false, `'${tag}' is not a whole tag of the run`);
  }
  for (const tag of ['blue-2', 'x']) assert.equal(filterMatches({ ...red, tag }, 'c', keyBytes('a/b'), run), true, tag);
  assert.equal(filterMatches({ ...red, prefix: keyBytes('b/') }, 'c', keyBytes('a/b'), run), false, 'tag and prefix must both hold');
  assert.equal(filterMatches(filter('c'), 'c', keyBytes('a/b'), run), true, 'a namespace subscription ignores tags');
});
