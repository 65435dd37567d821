// Runs one load phase pair (warm-up, then measure) against one target from worker threads, and
// merges what the workers measured. The main thread only coordinates: it never drives load.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerSlackMs } from './bounds';
import { mergeEncodedHistograms, type Histogram } from './latency-histogram';
import { addOutcomeCounts, createOutcomeCounts, type OutcomeCounts } from './outcome';
import { generatorCpuUs, readProcessCpuUs } from './proc-cpu';
import type { LoadWorkloadName, TargetEndpoint } from './target-connection';
import { isWorkerToMain, type PhaseName, type WorkerPhaseResult, type WorkerPlan, type WorkerToMain } from './worker-protocol';

export interface LoadRunPlan {
  endpoint: TargetEndpoint;
  workload: LoadWorkloadName;
  connections: number;
  threads: number;
  pipeline: number;
  /** Open loop: total ops/s offered. 0 = closed loop. */
  rate: number;
  keys: number;
  valueSize: number;
  zipfExponent: number;
  seed: number;
  warmupMs: number;
  durationMs: number;
  fanoutRate: number;
  fanoutGraceMs: number;
  /** The server process whose CPU is measured; null when there is none (the fake target). */
  serverPid: number | null;
  /** cms: generation memory filled by the preload (generation-memory.ts); null = start empty. */
  generations: Int32Array | null;
}

export interface LoadRunResult {
  latency: Histogram;
  service: Histogram;
  counts: OutcomeCounts;
  opsGet: number;
  opsPut: number;
  published: number;
  measuredMs: number;
  generatorCpuUs: number;
  serverCpuUs: number | null;
}

/** Called on each worker progress message with the totals of the current phase so far. */
export type ProgressListener = (phase: PhaseName, elapsedMs: number, ops: number, errors: number) => void;

const workerScript = path.join(__dirname, 'load-worker.js');

/** Splits `total` into `parts` integers that differ by at most one. */
export function splitEvenly(total: number, parts: number): number[] {
  const shares: number[] = [];
  for (let part = 0; part < parts; part++) shares.push(Math.floor(total / parts) + (part < total % parts ? 1 : 0));
  return shares;
}

export function workerPlans(plan: LoadRunPlan): WorkerPlan[] {
  const threads = Math.max(1, Math.min(plan.threads, plan.connections));
  const shares = splitEvenly(plan.connections, threads);
  let laneIndexFirst = 0;
  return shares.map((connections, workerIndex) => {
    const workerPlan: WorkerPlan = {
      workerIndex,
      endpoint: plan.endpoint,
      workload: plan.workload,
      connections,
      laneIndexFirst,
      lanesTotal: plan.connections,
      pipeline: plan.pipeline,
      ratePerLane: plan.rate > 0 ? plan.rate / plan.connections : 0,
      keys: plan.keys,
      valueSize: plan.valueSize,
      zipfExponent: plan.zipfExponent,
      seed: plan.seed,
      fanoutWriter: workerIndex === 0,
      fanoutRate: plan.fanoutRate,
      fanoutGraceMs: plan.fanoutGraceMs,
      generations: plan.generations,
    };
    laneIndexFirst += connections;
    return workerPlan;
  });
}

/** One worker and the messages it has sent that nobody has taken yet. */
class WorkerHandle {
  readonly worker: Worker;
  readonly #queue: WorkerToMain[] = [];
  #waiter: (() => void) | undefined;
  #failure: Error | undefined;
  lastOps = 0;
  lastErrors = 0;
  /** Whether this worker has reported progress in the current phase. */
  reported = false;

  constructor(plan: WorkerPlan, onProgress: () => void) {
    this.worker = new Worker(workerScript, { workerData: plan });
    this.worker.on('message', (message: unknown) => {
      if (!isWorkerToMain(message)) return;
      if (message.type === 'progress') {
        this.lastOps = message.ops;
        this.lastErrors = message.errors;
        this.reported = true;
        onProgress();
        return;
      }
      if (message.type === 'failed') this.#fail(new Error(`generator thread ${plan.workerIndex} failed: ${message.message}`));
      else this.#queue.push(message);
      this.#wake();
    });
    this.worker.on('error', (error: Error) => this.#fail(error));
    this.worker.on('exit', (code: number) => this.#fail(new Error(`generator thread ${plan.workerIndex} exited (code ${code})`)));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  /** Waits for the next message of `type`; throws on failure or after timeoutMs. */
  async next<T extends WorkerToMain['type']>(type: T, timeoutMs: number): Promise<Extract<WorkerToMain, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    // Each pass consumes a message or waits for one; the deadline bounds the waiting.
    for (;;) {
      const index = this.#queue.findIndex((message) => message.type === type);
      if (index >= 0) return this.#queue.splice(index, 1)[0] as Extract<WorkerToMain, { type: T }>;
      if (this.#failure !== undefined) throw this.#failure;
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) throw new Error(`generator thread: no ${type} message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remainingMs);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

async function runPhaseOnAll(handles: readonly WorkerHandle[], phase: PhaseName, durationMs: number): Promise<WorkerPhaseResult[]> {
  for (const handle of handles) handle.worker.postMessage({ type: 'phase', phase, durationMs });
  const done = await Promise.all(handles.map((handle) => handle.next('phase-done', durationMs + workerSlackMs)));
  return done.map((message) => message.result);
}

function mergeResults(results: readonly WorkerPhaseResult[]): Pick<LoadRunResult, 'latency' | 'service' | 'counts' | 'opsGet' | 'opsPut' | 'published'> {
  const counts = createOutcomeCounts();
  for (const result of results) addOutcomeCounts(counts, result.counts);
  return {
    latency: mergeEncodedHistograms(results.map((result) => result.latency)),
    service: mergeEncodedHistograms(results.map((result) => result.service)),
    counts,
    opsGet: results.reduce((sum, result) => sum + result.opsGet, 0),
    opsPut: results.reduce((sum, result) => sum + result.opsPut, 0),
    published: results.reduce((sum, result) => sum + result.published, 0),
  };
}

export async function runLoad(plan: LoadRunPlan, onProgress: ProgressListener): Promise<LoadRunResult> {
  const handles: WorkerHandle[] = [];
  let phase: PhaseName = 'warmup';
  let phaseStartedMs = performance.now();
  const report = (): void => {
    // A sum over some workers only would understate the rate: wait until all have reported.
    if (!handles.every((handle) => handle.reported)) return;
    const ops = handles.reduce((sum, handle) => sum + handle.lastOps, 0);
    onProgress(phase, performance.now() - phaseStartedMs, ops, handles.reduce((sum, handle) => sum + handle.lastErrors, 0));
  };
  try {
    for (const workerPlan of workerPlans(plan)) handles.push(new WorkerHandle(workerPlan, report));
    await Promise.all(handles.map((handle) => handle.next('ready', workerSlackMs)));
    phaseStartedMs = performance.now();
    if (plan.warmupMs > 0) await runPhaseOnAll(handles, 'warmup', plan.warmupMs);
    for (const handle of handles) {
      handle.lastOps = handle.lastErrors = 0;
      handle.reported = false;
    }
    phase = 'measure';
    phaseStartedMs = performance.now();
    const serverCpuUsBefore = plan.serverPid === null ? 0 : readProcessCpuUs(plan.serverPid);
    const generatorCpuUsBefore = generatorCpuUs();
    const startedMs = performance.now();
    const results = await runPhaseOnAll(handles, 'measure', plan.durationMs);
    const measuredMs = performance.now() - startedMs;
    const serverCpuUs = plan.serverPid === null ? null : readProcessCpuUs(plan.serverPid) - serverCpuUsBefore;
    const generatorCpuUsUsed = generatorCpuUs() - generatorCpuUsBefore;
    for (const handle of handles) handle.worker.postMessage({ type: 'close' });
    await Promise.allSettled(handles.map((handle) => handle.next('closed', workerSlackMs)));
    return { ...mergeResults(results), measuredMs, generatorCpuUs: generatorCpuUsUsed, serverCpuUs };
  } finally {
    await Promise.allSettled(handles.map((handle) => handle.worker.terminate()));
  }
}
