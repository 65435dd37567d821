// RFC 9110 §13.2.2: the order in which the precondition headers of one request are evaluated
// against the record's current version (or its absence).
//
//   1. If-Match present: false (no record, or no strong match) → 412.
//   2. else If-Unmodified-Since (a valid date, record present): modified after it → 412.
//   3. If-None-Match present: true (a weak match, or `*` and the record exists) → 304 for GET/HEAD,
//      412 for a write.
//   4. else, GET/HEAD with If-Modified-Since (a valid date, record present): not modified → 304.
//
// A GET or HEAD of a missing record is a plain 404: RFC 9110 §13.2.1 has preconditions ignored when
// the answer without them would not be 2xx; the caller answers 404 before asking here.

import { matchesStrongly, matchesWeakly, parseEntityTags, type EntityTagCondition } from './entity-tags';

export interface RequestConditions {
  ifMatch: EntityTagCondition;
  ifNoneMatch: EntityTagCondition;
  /** Epoch seconds of If-Modified-Since / If-Unmodified-Since; NaN when absent or not a date. */
  ifModifiedSinceSec: number;
  ifUnmodifiedSinceSec: number;
}

export interface CurrentVersion {
  entityTag: string;
  lastModifiedMs: number;
}

export const enum ConditionOutcome {
  Proceed = 0,
  NotModified = 1,
  PreconditionFailed = 2,
}

/** Reads the four headers. Absent ones cost a getHeader each and share constant conditions. */
export function readConditions(req: { getHeader(name: string): string }): RequestConditions {
  return {
    ifMatch: parseEntityTags(req.getHeader('if-match')),
    ifNoneMatch: parseEntityTags(req.getHeader('if-none-match')),
    ifModifiedSinceSec: httpDateSeconds(req.getHeader('if-modified-since')),
    ifUnmodifiedSinceSec: httpDateSeconds(req.getHeader('if-unmodified-since')),
  };
}

/** An HTTP date as whole epoch seconds, NaN when empty or invalid (an invalid date is ignored). */
export function httpDateSeconds(header: string): number {
  if (header === '') return Number.NaN;
  const ms = Date.parse(header);
  return Number.isNaN(ms) ? Number.NaN : Math.floor(ms / 1000);
}

/** HTTP dates are whole seconds: a record is compared by the second its Last-Modified shows. */
export function lastModifiedSeconds(lastModifiedMs: number): number {
  return Math.floor(lastModifiedMs / 1000);
}

/** True when any header needs the record's current version to be evaluated. */
export function needsCurrentVersion(conditions: RequestConditions): boolean {
  return conditions.ifMatch.kind === 'tags' || conditions.ifNoneMatch.kind === 'tags' || !Number.isNaN(conditions.ifUnmodifiedSinceSec);
}

export function evaluateConditions(conditions: RequestConditions, current: CurrentVersion | null, safe: boolean): ConditionOutcome {
  if (conditions.ifMatch.kind !== 'absent') {
    if (current === null || !matchesStrongly(conditions.ifMatch, current.entityTag)) return ConditionOutcome.PreconditionFailed;
  } else if (current !== null && !Number.isNaN(conditions.ifUnmodifiedSinceSec)) {
    if (lastModifiedSeconds(current.lastModifiedMs) > conditions.ifUnmodifiedSinceSec) return ConditionOutcome.PreconditionFailed;
  }
  if (conditions.ifNoneMatch.kind !== 'absent') {
    if (current !== null && matchesWeakly(conditions.ifNoneMatch, current.entityTag)) return safe ? ConditionOutcome.NotModified : ConditionOutcome.PreconditionFailed;
  } else if (safe && current !== null && !Number.isNaN(conditions.ifModifiedSinceSec)) {
    if (lastModifiedSeconds(current.lastModifiedMs) <= conditions.ifModifiedSinceSec) return ConditionOutcome.NotModified;
  }
  return ConditionOutcome.Proceed;
}
