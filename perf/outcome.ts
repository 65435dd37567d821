// What one operation came back with, as a number so the hot path allocates no result object:
// a generation (>= 1) or 0 (success on a target that keeps no generation), else a negative code.

export const outcomeNotFound = -1;
/** An ifGeneration put lost a race: an expected outcome in the cms workload, not an error. */
export const outcomeMismatch = -2;
export const outcomeError = -3;

export interface OutcomeCounts {
  ok: number;
  notFound: number;
  mismatch: number;
  error: number;
}

export function createOutcomeCounts(): OutcomeCounts {
  return { ok: 0, notFound: 0, mismatch: 0, error: 0 };
}

export function countOutcome(counts: OutcomeCounts, outcome: number): void {
  if (outcome >= 0) counts.ok++;
  else if (outcome === outcomeNotFound) counts.notFound++;
  else if (outcome === outcomeMismatch) counts.mismatch++;
  else counts.error++;
}

export function addOutcomeCounts(total: OutcomeCounts, part: OutcomeCounts): void {
  total.ok += part.ok;
  total.notFound += part.notFound;
  total.mismatch += part.mismatch;
  total.error += part.error;
}

/** Every answered op (errors included: the server did work for them too). */
export function outcomeTotal(counts: OutcomeCounts): number {
  return counts.ok + counts.notFound + counts.mismatch + counts.error;
}
