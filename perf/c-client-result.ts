// What an external C load generator reported, parsed into the harness's units.

import type { LatencySummaryUs } from './latency-histogram';

export interface CClientResult {
  requests: number;
  durationSec: number;
  opsPerSec: number;
  latencyUs: LatencySummaryUs;
  errors: number;
  /** How the percentiles were obtained, for the report. */
  note: string;
}
