// Messages between the main thread (load-run.ts) and a generator worker (load-worker.ts).
//
//   main                                   worker
//    │  new Worker(workerData: WorkerPlan)  │ opens its connections (and subscriptions)
//    │ ◄──────────────────────── ready ─────┤
//    ├── phase warmup ───────────────────►  │ runs, records into a throwaway histogram
//    │ ◄──────────────────── phase-done ────┤
//    │  (main reads server and generator CPU)
//    ├── phase measure ──────────────────►  │ runs; progress once a second
//    │ ◄──────────────────── phase-done ────┤ histograms, encoded
//    │  (main reads CPU again)
//    ├── close ──────────────────────────►  │ closes connections
//    │ ◄──────────────────────── closed ────┤ exits
//
// Any failure in the worker is reported as `failed`; the main thread then stops every worker.

import type { OutcomeCounts } from './outcome';
import type { LoadWorkloadName, TargetEndpoint } from './target-connection';

export type PhaseName = 'warmup' | 'measure';

export interface WorkerPlan {
  workerIndex: number;
  endpoint: TargetEndpoint;
  workload: LoadWorkloadName;
  /** Connections (lanes) this worker runs. */
  connections: number;
  /** Global index of this worker's first lane, to stagger open-loop send times across lanes. */
  laneIndexFirst: number;
  lanesTotal: number;
  pipeline: number;
  /** Open loop: ops/s on each lane. 0 = closed loop. */
  ratePerLane: number;
  keys: number;
  valueSize: number;
  zipfExponent: number;
  seed: number;
  /** Fanout: this worker also runs the writer, at fanoutRate writes/s. */
  fanoutWriter: boolean;
  fanoutRate: number;
  /** Fanout: how long after the writer stops deliveries are still awaited. */
  fanoutGraceMs: number;
  /** cms: generation memory shared by all threads (a view on a SharedArrayBuffer), or null. */
  generations: Int32Array | null;
}

export interface WorkerPhaseResult {
  latency: string;
  service: string;
  counts: OutcomeCounts;
  opsGet: number;
  opsPut: number;
  /** Fanout: writes this worker made in the phase. */
  published: number;
}

export type MainToWorker = { type: 'phase'; phase: PhaseName; durationMs: number } | { type: 'close' };

export type WorkerToMain =
  | { type: 'ready' }
  | { type: 'progress'; ops: number; errors: number }
  | { type: 'phase-done'; phase: PhaseName; result: WorkerPhaseResult }
  | { type: 'failed'; message: string }
  | { type: 'closed' };

const workerToMainTypes = new Set(['ready', 'progress', 'phase-done', 'failed', 'closed']);
const mainToWorkerTypes = new Set(['phase', 'close']);

export function isWorkerToMain(value: unknown): value is WorkerToMain {
  return typeof value === 'object' && value !== null && workerToMainTypes.has(String((value as { type?: unknown }).type));
}

export function isMainToWorker(value: unknown): value is MainToWorker {
  return typeof value === 'object' && value !== null && mainToWorkerTypes.has(String((value as { type?: unknown }).type));
}
