// `Range: bytes=` (RFC 9110 §14.2) for one range of a value of `size` bytes. Only single ranges are
// served as 206: a request for several ranges, or a Range that does not parse, is answered 200 with
// the whole value, which RFC 9110 allows (a server may ignore Range). A range that parses but lies
// wholly past the end is unsatisfiable: 416 with `Content-Range: bytes */size`.

export const enum RangeOutcome {
  /** No Range, several ranges, or one that does not parse: send the whole value. */
  Whole = 0,
  /** start..end (inclusive) lies within the value: 206. */
  Partial = 1,
  /** 416. */
  Unsatisfiable = 2,
}

export interface ByteRange {
  outcome: RangeOutcome;
  start: number;
  /** Inclusive. */
  end: number;
}

/** Positions longer than this are not a range of any value we hold: the header is ignored. */
const positionDigitsMax = 15;
const singleRange = /^bytes=[ \t]*(\d*)-(\d*)[ \t]*$/i;

export function parseByteRange(header: string, size: number): ByteRange {
  if (header === '') return whole;
  const match = singleRange.exec(header);
  if (match === null) return whole;
  const first = match[1]!;
  const last = match[2]!;
  if (first.length > positionDigitsMax || last.length > positionDigitsMax) return whole;
  if (first === '') {
    // A suffix range: the last N bytes.
    if (last === '') return whole;
    const suffixBytes = Number(last);
    if (suffixBytes === 0 || size === 0) return unsatisfiable;
    return { outcome: RangeOutcome.Partial, start: Math.max(0, size - suffixBytes), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (last !== '' && end < start) return whole;
  if (start >= size) return unsatisfiable;
  return { outcome: RangeOutcome.Partial, start, end: Math.min(end, size - 1) };
}

const whole: ByteRange = { outcome: RangeOutcome.Whole, start: 0, end: 0 };
const unsatisfiable: ByteRange = { outcome: RangeOutcome.Unsatisfiable, start: 0, end: 0 };
