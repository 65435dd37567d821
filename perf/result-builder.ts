// Turns measurements into BenchResults. Rounds of one target × workload are pooled: histograms are
// added, ops, wall time and CPU summed, so the result is the same as one run as long as all the
// rounds together, but taken in slices alternated with the other target.

import type { BenchResult, LoopMode } from './bench-report';
import type { CClientResult } from './c-client-result';
import { createLatencyHistogram, percentileCurve, summarizeLatency, type Histogram } from './latency-histogram';
import type { LoadRunResult } from './load-run';
import { addOutcomeCounts, createOutcomeCounts, outcomeTotal, type OutcomeCounts } from './outcome';

export interface RunShape {
  target: string;
  workload: string;
  client: string;
  mode: LoopMode;
  connections: number;
  pipeline: number;
  threads: number;
  /** Offered rate (open loop) or fanout writes/s; 0 = none. */
  rate: number;
  /** Planned measured seconds per round (fanout divides deliveries by this, not by wall time). */
  durationSec: number;
  /** The client's auto-pipelining setting (absent: C clients and the in-process fake). */
  autoPipelining?: boolean;
}

export class RoundPool {
  readonly shape: RunShape;
  readonly #latency: Histogram = createLatencyHistogram();
  readonly #service: Histogram = createLatencyHistogram();
  readonly #counts: OutcomeCounts = createOutcomeCounts();
  #rounds = 0;
  #measuredMs = 0;
  #generatorCpuUs = 0;
  #serverCpuUs: number | null = 0;
  #opsGet = 0;
  #opsPut = 0;
  #published = 0;

  constructor(shape: RunShape) {
    this.shape = shape;
  }

  get rounds(): number {
    return this.#rounds;
  }

  add(run: LoadRunResult): void {
    this.#rounds++;
    this.#latency.add(run.latency);
    this.#service.add(run.service);
    addOutcomeCounts(this.#counts, run.counts);
    this.#measuredMs += run.measuredMs;
    this.#generatorCpuUs += run.generatorCpuUs;
    this.#serverCpuUs = run.serverCpuUs === null || this.#serverCpuUs === null ? null : this.#serverCpuUs + run.serverCpuUs;
    this.#opsGet += run.opsGet;
    this.#opsPut += run.opsPut;
    this.#published += run.published;
  }

  /** Fanout: deliveries expected = writes × subscribers; the missing ones count as errors. */
  #fanoutMissing(): number {
    if (this.shape.workload !== 'fanout') return 0;
    return Math.max(0, this.#published * this.shape.connections - this.#counts.ok);
  }

  toResult(): BenchResult {
    if (this.#rounds === 0) throw new Error(`no rounds measured for ${this.shape.target} ${this.shape.workload}`);
    const shape = this.shape;
    const ops = outcomeTotal(this.#counts);
    const isFanout = shape.workload === 'fanout';
    // Fanout wall time includes the wait for late deliveries; the rate is over the writing time.
    const seconds = isFanout ? shape.durationSec * this.#rounds : this.#measuredMs / 1000;
    const perOp = (us: number): number => (ops > 0 ? us / ops : 0);
    const result: BenchResult = {
      target: shape.target,
      workload: shape.workload,
      opsPerSec: seconds > 0 ? ops / seconds : 0,
      serverCpuUsPerOp: this.#serverCpuUs === null ? null : perOp(this.#serverCpuUs),
      latencyUs: summarizeLatency(this.#latency),
      errors: this.#counts.error + this.#fanoutMissing(),
      client: shape.client,
      mode: shape.mode,
      connections: shape.connections,
      pipeline: shape.pipeline,
      threads: shape.threads,
      durationSec: seconds,
      ops,
      generatorCpu: { usPerOp: perOp(this.#generatorCpuUs), cores: this.#generatorCpuUs / 1e6 / (this.#measuredMs / 1000) },
      serverCpuCores: this.#serverCpuUs === null ? null : this.#serverCpuUs / 1e6 / (this.#measuredMs / 1000),
      rounds: this.#rounds,
      mismatches: this.#counts.mismatch,
      notFound: this.#counts.notFound,
      percentileCurve: percentileCurve(this.#latency),
    };
    if (shape.rate > 0) result.rate = shape.rate;
    if (shape.autoPipelining !== undefined) result.autoPipelining = shape.autoPipelining;
    if (!isFanout) {
      result.opsGet = this.#opsGet;
      result.opsPut = this.#opsPut;
    }
    if (shape.mode === 'open' && this.#service.totalCount > 0) result.serviceTimeUs = summarizeLatency(this.#service);
    if (isFanout) result.note = `deliveries to ${shape.connections} subscribers of ${this.#published} writes; latency = publish intended time → delivery`;
    return result;
  }
}

export function cClientResult(shape: RunShape, measured: CClientResult & { generatorCpuUs: number }, serverCpuUs: number): BenchResult {
  const ops = measured.requests;
  return {
    target: shape.target,
    workload: shape.workload,
    opsPerSec: measured.opsPerSec,
    serverCpuUsPerOp: ops > 0 ? serverCpuUs / ops : 0,
    latencyUs: measured.latencyUs,
    errors: measured.errors,
    client: shape.client,
    mode: 'closed',
    connections: shape.connections,
    pipeline: shape.pipeline,
    threads: shape.threads,
    durationSec: measured.durationSec,
    ops,
    generatorCpu: { usPerOp: ops > 0 ? measured.generatorCpuUs / ops : 0, cores: measured.durationSec > 0 ? measured.generatorCpuUs / 1e6 / measured.durationSec : 0 },
    serverCpuCores: measured.durationSec > 0 ? serverCpuUs / 1e6 / measured.durationSec : 0,
    rounds: 1,
    note: measured.note,
  };
}
