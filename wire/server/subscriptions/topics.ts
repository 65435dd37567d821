// Topic names: how a change and a subscription meet in uWS's pub/sub without a loop in JavaScript.
//
// A change to namespace N, key `a/b/c` is published to, at most:
//
//   k:N:a/b/c        subscribers of that one key
//   p:N:a/           subscribers of each prefix level: every `/` of the key ends one level,
//   p:N:a/b/         so `articles/2026/` sees `articles/2026/x` and `articles/2026/y/z`
//   n:N              subscribers of the whole namespace
//   t:N:tag          subscribers of one surrogate key (tag), for each tag the change carries
//
// each in two variants: the base name carries events without values, `base|v` with values.
// A socket subscribes to one variant per base name (with values when any of its subscriptions on
// that base asked for them), so it never receives the same change twice from one base.
//
// Keys are bytes: they enter topic names as latin1 text (one char per byte), which maps every key
// to exactly one name (no UTF-8 validation, no collisions). Namespace names are [A-Za-z0-9_.-], so
// the `:` after N cannot be confused with a character of N.
//
// A prefix that does not end at a segment boundary (`articles/20`) subscribes to its containing
// level (`p:N:articles/`, or `n:N` when it has no `/`); the server filters exactly when it replays
// from the change log, and the client drops live events whose key does not start with the prefix.
// An empty prefix is the whole namespace.
//
// Tags: a put carries its new tags in the change log, and a delete, expired or evicted change the
// tags the removed record had (the shard journals them from its tag index), so a tag subscription
// sees the puts whose new tags include its tag and the removals of records that carried it. A touch
// carries none, and a put that drops the tag is not delivered (the record no longer carries it).
// A tag subscription with a key or prefix too listens on its tag topic and is filtered on the key
// like a partial prefix.

import { tagRunIncludes } from '../../../engine/layout/surrogate-keys';
import type { Key } from '../../../engine/layout/types';

export const valuesSuffix = '|v';
const slash = 0x2f;
const encoder = new TextEncoder();

/** A key's bytes as latin1 text, one char per byte (allocates the string). */
export function keyText(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** A key given as a string means its UTF-8 bytes, as everywhere in Tessera. */
export function keyBytes(key: Key): Uint8Array {
  return typeof key === 'string' ? encoder.encode(key) : key;
}

export function keyTopic(ns: string, text: string): string {
  return `k:${ns}:${text}`;
}

export function prefixTopic(ns: string, levelText: string): string {
  return `p:${ns}:${levelText}`;
}

export function namespaceTopic(ns: string): string {
  return `n:${ns}`;
}

/** Tags are token characters (no `:` issue: the namespace before them holds no `:`). */
export function tagTopic(ns: string, tag: string): string {
  return `t:${ns}:${tag}`;
}

/** What one subscription listens to: a key, a key prefix, or (neither) the whole namespace. */
export interface SubscriptionFilter {
  ns: string;
  /** Exactly this key. */
  key: Uint8Array | null;
  /** Keys starting with these bytes; null with key null = the whole namespace. */
  prefix: Uint8Array | null;
  /** Only changes whose tags include this one (absent or null = any change). */
  tag?: string | null;
}

/**
 * The base topic a subscription listens on. For a prefix not ending in `/` it is the containing
 * level, which also carries keys outside the prefix: `exact` is false then, and whoever delivers
 * must filter with filterMatches.
 */
export function subscriptionTopic(filter: SubscriptionFilter): { topic: string; exact: boolean } {
  const { ns, key, prefix } = filter;
  const tag = filter.tag ?? null;
  if (tag !== null) return { topic: tagTopic(ns, tag), exact: key === null && (prefix === null || prefix.byteLength === 0) };
  if (key !== null) return { topic: keyTopic(ns, keyText(key)), exact: true };
  if (prefix === null || prefix.byteLength === 0) return { topic: namespaceTopic(ns), exact: true };
  const last = prefix.lastIndexOf(slash);
  if (last === prefix.byteLength - 1) return { topic: prefixTopic(ns, keyText(prefix)), exact: true };
  if (last < 0) return { topic: namespaceTopic(ns), exact: false };
  return { topic: prefixTopic(ns, keyText(prefix.subarray(0, last + 1))), exact: false };
}

/** Whether a change to (ns, key), carrying `tags` (its joined tag run), belongs to the subscription. */
export function filterMatches(filter: SubscriptionFilter, ns: string, key: Uint8Array, tags: Uint8Array | null = null): boolean {
  if (ns !== filter.ns) return false;
  const tag = filter.tag ?? null;
  if (tag !== null && (tags === null || !tagRunIncludes(tags, tag))) return false;
  if (filter.key !== null) return bytesEqual(filter.key, key);
  if (filter.prefix === null) return true;
  return startsWith(key, filter.prefix);
}

/**
 * Writes into `out` every base topic a change to (ns, key text) is published to: the key, each
 * prefix level, the namespace, and each tag of `tags` (the change's joined tag run). Returns how many.
 * Allocates the topic strings, one per level and tag; `out` is the caller's scratch array, reused
 * across changes.
 */
export function changeTopics(ns: string, text: string, out: string[], tags: Uint8Array | null = null): number {
  let count = 0;
  out[count++] = keyTopic(ns, text);
  // Bounded by the key length (≤ keyBytesMaxHard): one level per `/`.
  for (let index = text.indexOf('/'); index >= 0; index = text.indexOf('/', index + 1)) {
    out[count++] = prefixTopic(ns, text.slice(0, index + 1));
  }
  out[count++] = namespaceTopic(ns);
  if (tags === null) return count;
  // Bounded by the run's length (≤ tagRunBytesMax, at most tagsPerRecordMax tags); latin1 = ASCII here.
  let tagStart = 0;
  for (let index = 0; index <= tags.length; index++) {
    if (index !== tags.length && tags[index] !== 0x20) continue;
    if (index > tagStart) out[count++] = tagTopic(ns, Buffer.from(tags.buffer, tags.byteOffset + tagStart, index - tagStart).toString('latin1'));
    tagStart = index + 1;
  }
  return count;
}

export function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.byteLength !== right.byteLength) return false;
  for (let index = 0; index < left.byteLength; index++) if (left[index] !== right[index]) return false;
  return true;
}

export function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.byteLength > bytes.byteLength) return false;
  for (let index = 0; index < prefix.byteLength; index++) if (bytes[index] !== prefix[index]) return false;
  return true;
}
