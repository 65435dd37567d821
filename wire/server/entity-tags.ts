// ETags name one version of one record for the life of the data: `"<lastModified in µs>-<generation>"`,
// e.g. `"1795000000123001-3"`. (Decimal, not base 36: V8 formats a decimal number in half the
// time, measured ~0.4 against ~0.8 µs per tag, and it is on every GET.) The generation alone repeats after a delete and recreate (it starts at 1
// again) and the old ETag would then validate new content; the record's lastModified is a stamp
// that grows strictly per shard, survives restarts and is carried to replicas verbatim
// (engine/shard/modification-stamps.ts), so the pair never repeats. The generation is also sent
// alone as `Tessera-Generation`.
//
// This module reads the entity-tag lists of If-Match, If-None-Match (RFC 9110 §8.8.3, §13.1.1-2)
// and If-Range, and compares them: strongly for If-Match and If-Range, weakly for If-None-Match.
// Tags that are not ours are kept all the same (they simply never match): a client may send any
// opaque tag it got from a cache in front.

export type EntityTagCondition =
  | { kind: 'absent' }
  | { kind: 'any' }
  /** tags: the opaque tags with their quotes; weak[i]: tags[i] came as W/"...". */
  | { kind: 'tags'; tags: string[]; weak: boolean[] };

const absent: EntityTagCondition = { kind: 'absent' };
const anyTag: EntityTagCondition = { kind: 'any' };
/** More entries than this in one header are dropped (they could only add more non-matches). */
const entriesMax = 64;
/** An entity tag's opaque part: etagc = %x21 / %x23-7E / obs-text (obs-text not accepted here). */
const opaqueTag = /^"[\x21\x23-\x7e]*"$/;

/** The strong ETag of a record version. */
export function formatEntityTag(lastModifiedMs: number, generation: number): string {
  return `"${Math.round(lastModifiedMs * 1000)}-${generation}"`;
}

/** The weak form (a compressed representation of the same version: same content, other bytes). */
export function weakEntityTag(strongTag: string): string {
  return `W/${strongTag}`;
}

/** Parses If-Match / If-None-Match (`*` or a list). Malformed entries never match. */
export function parseEntityTags(header: string): EntityTagCondition {
  const text = header.trim();
  if (text === '') return absent;
  if (text === '*') return anyTag;
  const tags: string[] = [];
  const weak: boolean[] = [];
  for (const entry of text.split(',', entriesMax)) {
    let tag = entry.trim();
    const isWeak = tag.startsWith('W/');
    if (isWeak) tag = tag.slice(2);
    if (!opaqueTag.test(tag)) continue;
    tags.push(tag);
    weak.push(isWeak);
  }
  return { kind: 'tags', tags, weak };
}

/** Strong comparison (If-Match, If-Range): `*` or an equal tag that is strong on both sides. */
export function matchesStrongly(condition: EntityTagCondition, strongTag: string): boolean {
  if (condition.kind !== 'tags') return condition.kind === 'any';
  for (let index = 0; index < condition.tags.length; index++) {
    if (condition.weak[index] !== true && condition.tags[index] === strongTag) return true;
  }
  return false;
}

/** Weak comparison (If-None-Match): `*` or an equal opaque tag, W/ or not. */
export function matchesWeakly(condition: EntityTagCondition, strongTag: string): boolean {
  if (condition.kind !== 'tags') return condition.kind === 'any';
  return condition.tags.includes(strongTag);
}
