// The report a bench run writes as JSON (and renders as a table and HTML). One BenchResult per
// target × workload × client; extra fields beyond the required ones are allowed by issue 5.

import type { LatencySummaryUs, PercentilePoint } from './latency-histogram';

export type LoopMode = 'closed' | 'open';

export interface GeneratorCpu {
  /** µs of generator CPU (user + sys, all threads) per op. */
  usPerOp: number;
  /** Cores the generator kept busy on average. */
  cores: number;
}

export interface BenchResult {
  target: string;
  workload: string;
  opsPerSec: number;
  /** µs of server CPU (user + sys from /proc/PID/stat) per op; null only for the in-process fake. */
  serverCpuUsPerOp: number | null;
  latencyUs: LatencySummaryUs;
  errors: number;
  client: string;
  mode: LoopMode;
  connections: number;
  pipeline: number;
  threads: number;
  durationSec: number;
  ops: number;
  generatorCpu: GeneratorCpu | null;
  serverCpuCores: number | null;
  rounds: number;
  /** Offered ops/s in open loop (writes/s for fanout). */
  rate?: number;
  /** Our generator's clients: ioredis enableAutoPipelining / the Tessera client's autoPipelining. */
  autoPipelining?: boolean;
  mismatches?: number;
  notFound?: number;
  opsGet?: number;
  opsPut?: number;
  /** Open loop: completion - actual send, i.e. without coordinated-omission correction. */
  serviceTimeUs?: LatencySummaryUs;
  percentileCurve?: PercentilePoint[];
  note?: string;
}

export interface Unavailable {
  target: string;
  workload: string;
  client: string;
  reason: string;
}

export type RatioFigure = 'opsPerSec' | 'serverCpuUsPerOp' | 'generatorCpuUsPerOp' | 'p50' | 'p90' | 'p99' | 'p999' | 'max';
/** generatorCpuUsPerOp: the client's CPU per op (our generator: the client library plus the harness). */
export const ratioFigures: readonly RatioFigure[] = ['opsPerSec', 'serverCpuUsPerOp', 'generatorCpuUsPerOp', 'p50', 'p90', 'p99', 'p999', 'max'];

export interface Comparison {
  workload: string;
  /** Which clients drove the two targets. */
  clients: string;
  numerator: string;
  denominator: string;
  /** numerator / denominator for each figure (null when a figure is missing or zero). */
  ratios: Record<RatioFigure, number | null>;
}

export interface BenchReport {
  tool: 'tessera-perf';
  version: 1;
  startedAt: string;
  finishedAt: string;
  host: { cpus: number; cpuModel: string; node: string; platform: string };
  options: Record<string, unknown>;
  results: BenchResult[];
  unavailable: Unavailable[];
  comparisons: Comparison[];
}

function figure(result: BenchResult, name: RatioFigure): number | null {
  if (name === 'opsPerSec') return result.opsPerSec;
  if (name === 'serverCpuUsPerOp') return result.serverCpuUsPerOp;
  if (name === 'generatorCpuUsPerOp') return result.generatorCpu?.usPerOp ?? null;
  return result.latencyUs[name];
}

export function compare(numerator: BenchResult, denominator: BenchResult): Comparison {
  const ratios = {} as Record<RatioFigure, number | null>;
  for (const name of ratioFigures) {
    const top = figure(numerator, name);
    const bottom = figure(denominator, name);
    ratios[name] = top === null || bottom === null || bottom === 0 ? null : top / bottom;
  }
  return { workload: numerator.workload, clients: `${numerator.client} vs ${denominator.client}`, numerator: numerator.target, denominator: denominator.target, ratios };
}

/**
 * Tessera against Redis for every workload where both ran with the same kind of client and, for
 * our generator, the same auto-pipelining setting (like for like).
 */
export function tesseraVersusRedis(results: readonly BenchResult[]): Comparison[] {
  const comparisons: Comparison[] = [];
  for (const tessera of results) {
    if (tessera.target !== 'tessera') continue;
    const redis = results.find(
      (candidate) => candidate.target === 'redis' && candidate.workload === tessera.workload && isCClient(candidate.client) === isCClient(tessera.client) && candidate.autoPipelining === tessera.autoPipelining,
    );
    if (redis !== undefined) comparisons.push(compare(tessera, redis));
  }
  return comparisons;
}

export function isCClient(client: string): boolean {
  return client === 'wrk' || client === 'redis-benchmark';
}

const latencyFields = ['p50', 'p90', 'p99', 'p999', 'max'] as const;

/** Lists what is wrong with a report's required shape (empty when it is right). */
export function reportShapeProblems(value: unknown): string[] {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null) return ['report is not an object'];
  const results = (value as { results?: unknown }).results;
  if (!Array.isArray(results)) return ['results is not an array'];
  results.forEach((entry: unknown, index) => {
    const where = `results[${index}]`;
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`${where} is not an object`);
      return;
    }
    const result = entry as Record<string, unknown>;
    for (const field of ['target', 'workload']) if (typeof result[field] !== 'string') problems.push(`${where}.${field} is not a string`);
    for (const field of ['opsPerSec', 'errors']) if (typeof result[field] !== 'number' || !Number.isFinite(result[field])) problems.push(`${where}.${field} is not a finite number`);
    const cpu = result.serverCpuUsPerOp;
    if (!(cpu === null || (typeof cpu === 'number' && Number.isFinite(cpu)))) problems.push(`${where}.serverCpuUsPerOp is neither a finite number nor null`);
    const latency = result.latencyUs;
    if (typeof latency !== 'object' || latency === null) problems.push(`${where}.latencyUs is not an object`);
    else for (const field of latencyFields) if (typeof (latency as Record<string, unknown>)[field] !== 'number') problems.push(`${where}.latencyUs.${field} is not a number`);
  });
  return problems;
}
