// redis-benchmark (Redis's own C client) against the peer Redis: GET on the same keyspace
// (`key:__rand_int__` with -r keys is our key format) and value size. Its keys are uniform, not
// Zipfian, and it has no time limit, so the request count is sized from an expected rate.

import type { CClientResult } from './c-client-result';
import { runMeasuredCommand } from './measured-command';

export interface RedisBenchmarkPlan {
  binary: string;
  host: string;
  port: number;
  connections: number;
  pipeline: number;
  threads: number;
  keys: number;
  valueSize: number;
  requests: number;
}

export function redisBenchmarkArgs(plan: RedisBenchmarkPlan): string[] {
  const args = ['-h', plan.host, '-p', String(plan.port), '-t', 'get', '-n', String(plan.requests), '-r', String(plan.keys)];
  args.push('-d', String(plan.valueSize), '-c', String(plan.connections), '-P', String(plan.pipeline));
  if (plan.threads > 1) args.push('--threads', String(plan.threads));
  return args;
}

function millisecondsToUs(text: string | undefined): number {
  const value = Number(text);
  if (!Number.isFinite(value)) throw new Error(`redis-benchmark: not a number: ${String(text)}`);
  return Math.round(value * 1000);
}

/**
 * Parses redis-benchmark 7's full (non -q) output. p50, p99 and max come from its summary; p90
 * and p99.9 from its percentile distribution, which only lists halving steps (…87.5, 93.75…), so
 * they are the value at the first listed percentile at or above the one asked: an upper bound.
 */
export function parseRedisBenchmarkOutput(output: string): CClientResult {
  const text = output.replace(/\r/g, '\n');
  const completed = /(\d+) requests completed in ([\d.]+) seconds/.exec(text);
  const throughput = /throughput summary: ([\d.]+) requests per second/.exec(text);
  const summary = /avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(text);
  if (completed === null || throughput === null || summary === null) throw new Error('redis-benchmark output not recognised');
  const distribution = [...text.matchAll(/^([\d.]+)% <= ([\d.]+) milliseconds/gm)].map((match) => ({ percentile: Number(match[1]), latencyUs: millisecondsToUs(match[2]) }));
  const atOrAbove = (percentile: number): number => {
    const point = distribution.find((entry) => entry.percentile >= percentile);
    if (point === undefined) throw new Error(`redis-benchmark output has no percentile >= ${percentile}`);
    return point.latencyUs;
  };
  return {
    requests: Number(completed[1]),
    durationSec: Number(completed[2]),
    opsPerSec: Number(throughput[1]),
    latencyUs: { p50: millisecondsToUs(summary[3]), p90: atOrAbove(90), p99: millisecondsToUs(summary[5]), p999: atOrAbove(99.9), max: millisecondsToUs(summary[6]) },
    errors: (text.match(/^Error from server/gm) ?? []).length,
    note: 'redis-benchmark: uniform keys, GET only; p90/p99.9 are upper bounds from its percentile steps',
  };
}

export async function runRedisBenchmark(plan: RedisBenchmarkPlan, timeoutMs: number): Promise<CClientResult & { generatorCpuUs: number }> {
  const result = await runMeasuredCommand(plan.binary, redisBenchmarkArgs(plan), timeoutMs);
  if (result.status !== 0) throw new Error(`redis-benchmark exited with ${String(result.status)}: ${result.stderr.slice(-500)}`);
  return { ...parseRedisBenchmarkOutput(result.stdout), generatorCpuUs: result.childCpuUs };
}
