// wrk (a C HTTP load generator) against Tessera's HTTP GET /v1/{ns}/{key}: one comparison in which
// no client of ours takes part.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CClientResult } from './c-client-result';
import { runMeasuredCommand } from './measured-command';
import { wrkResultMarker, wrkScript, type WrkScriptPlan } from './wrk-script';

export interface WrkPlan extends WrkScriptPlan {
  binary: string;
  host: string;
  port: number;
  connections: number;
  threads: number;
  durationSec: number;
}

interface WrkJson {
  requests: number;
  durationUs: number;
  errors: number;
  statusErrors: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

function isWrkJson(value: unknown): value is WrkJson {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['requests', 'durationUs', 'errors', 'statusErrors', 'p50', 'p90', 'p99', 'p999', 'max'].every((field) => typeof record[field] === 'number');
}

export function parseWrkOutput(output: string): CClientResult {
  const line = output.split('\n').find((candidate) => candidate.startsWith(wrkResultMarker));
  if (line === undefined) throw new Error('wrk output has no result line (did the Lua done() run?)');
  const parsed: unknown = JSON.parse(line.slice(wrkResultMarker.length));
  if (!isWrkJson(parsed) || parsed.durationUs <= 0) throw new Error(`wrk result line not recognised: ${line}`);
  return {
    requests: parsed.requests,
    durationSec: parsed.durationUs / 1e6,
    opsPerSec: parsed.requests / (parsed.durationUs / 1e6),
    latencyUs: { p50: parsed.p50, p90: parsed.p90, p99: parsed.p99, p999: parsed.p999, max: parsed.max },
    errors: parsed.errors,
    note: 'wrk: HTTP GET only, Zipfian keys; latency from send (closed loop)',
  };
}

export async function runWrk(plan: WrkPlan): Promise<CClientResult & { generatorCpuUs: number }> {
  const directory = mkdtempSync(path.join(tmpdir(), 'tessera-perf-wrk-'));
  try {
    const scriptPath = path.join(directory, 'tessera.lua');
    writeFileSync(scriptPath, wrkScript(plan));
    const threads = Math.max(1, Math.min(plan.threads, plan.connections));
    const args = ['-t', String(threads), '-c', String(plan.connections), '-d', `${Math.max(1, Math.round(plan.durationSec))}s`, '--timeout', '5s', '-s', scriptPath, `http://${plan.host}:${plan.port}`];
    const result = await runMeasuredCommand(plan.binary, args, (plan.durationSec + 60) * 1000);
    if (result.status !== 0) throw new Error(`wrk exited with ${String(result.status)}: ${result.stderr.slice(-500)}`);
    return { ...parseWrkOutput(result.stdout), generatorCpuUs: result.childCpuUs };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
