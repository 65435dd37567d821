// The frame verifier checks every string field with this before any decoder turns it into a JS
// string. A hand check rather than `new TextDecoder('utf-8', { fatal: true })`: the verifier must
// never throw, and decoding only to throw the string away would allocate per field.

import { assert } from '../../engine/layout/assert';

/**
 * Whether bytes[start, end) is well-formed UTF-8 as the WHATWG Encoding Standard defines it (the
 * rule TextDecoder with fatal: true applies): no overlong forms, no surrogates U+D800..U+DFFF,
 * nothing above U+10FFFF, no truncated sequence.
 */
export function isUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  assert(start >= 0 && start <= end && end <= bytes.length, 'isUtf8 range inside the bytes');
  let index = start;
  while (index < end) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    // Continuation bytes are 0x80..0xbf; the first one after some leads is narrower, which is
    // what rules out overlong forms (e0, f0), surrogates (ed) and code points above U+10FFFF (f4).
    let continuations: number;
    let secondLow = 0x80;
    let secondHigh = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      continuations = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      continuations = 2;
      if (lead === 0xe0) secondLow = 0xa0;
      if (lead === 0xed) secondHigh = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      continuations = 3;
      if (lead === 0xf0) secondLow = 0x90;
      if (lead === 0xf4) secondHigh = 0x8f;
    } else {
      return false;
    }
    if (index + continuations >= end) return false;
    const second = bytes[index + 1]!;
    if (second < secondLow || second > secondHigh) return false;
    for (let next = index + 2; next <= index + continuations; next++) {
      const continuation = bytes[next]!;
      if (continuation < 0x80 || continuation > 0xbf) return false;
    }
    index += continuations + 1;
  }
  return true;
}
