// ETags are the record generation in quotes: `"7"`. This reads the entity-tag lists of If-Match and
// If-None-Match (RFC 9110 §8.8.3, §13.1.1-2). Tags that are not a generation are kept as "never
// matches" rather than rejected: a client may send any opaque tag it got from a cache in front.

export type EntityTagCondition =
  | { kind: 'absent' }
  | { kind: 'any' }
  /** generations: the tags that name a generation (may be empty: nothing can match). */
  | { kind: 'tags'; generations: number[]; count: number };

const absent: EntityTagCondition = { kind: 'absent' };
const anyTag: EntityTagCondition = { kind: 'any' };
const generationMax = 0xffffffff;
const entriesMax = 64;

export function formatEntityTag(generation: number): string {
  return `"${generation}"`;
}

/**
 * weakMatches: If-None-Match compares weakly (W/"7" matches "7"); If-Match compares strongly, and
 * our tags are strong, so a weak tag there can never match.
 */
export function parseEntityTags(header: string, weakMatches: boolean): EntityTagCondition {
  const text = header.trim();
  if (text === '') return absent;
  if (text === '*') return anyTag;
  const generations: number[] = [];
  const entries = text.split(',', entriesMax);
  for (const entry of entries) {
    let tag = entry.trim();
    const weak = tag.startsWith('W/');
    if (weak) tag = tag.slice(2);
    if (weak && !weakMatches) continue;
    if (tag.length < 3 || !tag.startsWith('"') || !tag.endsWith('"')) continue;
    const inner = tag.slice(1, -1);
    if (!/^[1-9]\d{0,9}$/.test(inner)) continue;
    const generation = Number(inner);
    if (generation <= generationMax) generations.push(generation);
  }
  return { kind: 'tags', generations, count: entries.length };
}

/** True when the condition names the record's generation (or is `*` and the record exists). */
export function matchesGeneration(condition: EntityTagCondition, generation: number): boolean {
  if (condition.kind === 'absent') return false;
  if (condition.kind === 'any') return true;
  return condition.generations.includes(generation);
}
