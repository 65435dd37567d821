// Surrogate keys (tags): names a record carries so that a purge can delete every record with a tag
// (Fastly's Surrogate-Key). A record's tags travel between threads and formats as one run of bytes:
// the tags joined by single spaces, exactly the Surrogate-Key header's form, so the HTTP header, the
// batch op and the shard's index read the same bytes.
//
// A tag is 1..tagBytesMax token characters (RFC 9110 tchar: no space, quote, comma or control), so
// a tag is always safe in a header and always ASCII; a record has at most tagsPerRecordMax.

import { Status } from './status';

export const tagsPerRecordMax = 16;
export const tagBytesMax = 64;
/** Bytes of a record's joined tag run at most: every tag at its longest, one space between. */
export const tagRunBytesMax = tagsPerRecordMax * (tagBytesMax + 1) - 1;
/** Tags one purge request may name. */
export const purgeTagsMax = 256;

const space = 0x20;
// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
const tokenCharacter = new Uint8Array(128);
for (const character of "!#$%&'*+-.^_`|~") tokenCharacter[character.charCodeAt(0)] = 1;
for (let code = 0x30; code <= 0x39; code++) tokenCharacter[code] = 1;
for (let code = 0x41; code <= 0x5a; code++) tokenCharacter[code] = 1;
for (let code = 0x61; code <= 0x7a; code++) tokenCharacter[code] = 1;

/** True for 1..tagBytesMax token characters. */
export function isTag(tag: unknown): boolean {
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > tagBytesMax) return false;
  for (let index = 0; index < tag.length; index++) {
    const code = tag.charCodeAt(index);
    if (code >= 128 || tokenCharacter[code] !== 1) return false;
  }
  return true;
}

/** Ok, or InvalidArgument for a list that is not an array of at most tagsPerRecordMax distinct tags. */
export function checkTags(tags: unknown): Status {
  if (!Array.isArray(tags) || tags.length > tagsPerRecordMax) return Status.InvalidArgument;
  for (let index = 0; index < tags.length; index++) {
    if (!isTag(tags[index])) return Status.InvalidArgument;
    for (let other = 0; other < index; other++) if (tags[other] === tags[index]) return Status.InvalidArgument;
  }
  return Status.Ok;
}

/** Ok, or InvalidArgument unless 1..purgeTagsMax tags (duplicates allowed: a purge deletes once). */
export function checkPurgeTags(tags: unknown): Status {
  if (!Array.isArray(tags) || tags.length === 0 || tags.length > purgeTagsMax) return Status.InvalidArgument;
  for (const tag of tags) if (!isTag(tag)) return Status.InvalidArgument;
  return Status.Ok;
}

/**
 * A Surrogate-Key header's tags (split on runs of spaces and tabs, duplicates dropped), or a
 * message saying why it is refused.
 */
export function parseSurrogateKeyHeader(header: string): { tags: string[] } | { message: string } {
  const tags: string[] = [];
  for (const tag of header.split(/[ \t]+/)) {
    if (tag === '') continue;
    if (!isTag(tag)) return { message: `a surrogate key must be 1..${tagBytesMax} token characters, got ${JSON.stringify(tag.slice(0, tagBytesMax + 1))}` };
    if (!tags.includes(tag)) tags.push(tag);
    if (tags.length > tagsPerRecordMax) return { message: `a record carries at most ${tagsPerRecordMax} surrogate keys` };
  }
  return { tags };
}

/** The joined run of checked tags (ASCII: one byte per character), or null for none. */
export function encodeTagRun(tags: readonly string[] | undefined): Uint8Array | null {
  if (tags === undefined || tags.length === 0) return null;
  const joined = tags.join(' ');
  const run = new Uint8Array(joined.length);
  for (let index = 0; index < joined.length; index++) run[index] = joined.charCodeAt(index);
  return run;
}

/** The tags of a run bytes[start, start + length) (latin1 = ASCII here). */
export function decodeTagRun(bytes: Uint8Array, start: number, length: number): string[] {
  const tags: string[] = [];
  let tagStart = start;
  const end = start + length;
  for (let index = start; index <= end; index++) {
    if (index === end || bytes[index] === space) {
      if (index > tagStart) tags.push(String.fromCharCode(...bytes.subarray(tagStart, index)));
      tagStart = index + 1;
    }
  }
  return tags;
}

/**
 * Whether a joined tag run holds `tag` as one of its tags (a whole tag between spaces, not part of
 * one). No allocation: a tag subscription tests every change of its topic with it.
 */
export function tagRunIncludes(run: Uint8Array, tag: string): boolean {
  const tagLength = tag.length;
  let tagStart = 0;
  // Bounded by the run's length (≤ tagRunBytesMax).
  for (let index = 0; index <= run.length; index++) {
    if (index !== run.length && run[index] !== space) continue;
    if (index - tagStart === tagLength && sameCharacters(run, tagStart, tag)) return true;
    tagStart = index + 1;
  }
  return false;
}

function sameCharacters(run: Uint8Array, start: number, tag: string): boolean {
  for (let index = 0; index < tag.length; index++) if (run[start + index] !== tag.charCodeAt(index)) return false;
  return true;
}
