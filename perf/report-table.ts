// The terminal table: one row per result, then the Tessera/Redis ratio of each figure.
// Latencies are in µs. For ops/s a ratio above 1 favours Tessera; for CPU and latency, below 1.

import { isCClient, type BenchReport, type BenchResult, type Comparison, type RatioFigure } from './bench-report';

const columns = ['target', 'client', 'workload', 'mode', 'conn×pipe', 'ops/s', 'srv µs/op', 'gen µs/op', 'p50', 'p90', 'p99', 'p99.9', 'max', 'errors', 'mismatch'] as const;

function integer(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function fixed(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

function resultRow(result: BenchResult): string[] {
  const latency = result.latencyUs;
  return [
    result.target,
    result.client,
    result.workload,
    result.rate === undefined ? result.mode : `${result.mode} ${integer(result.rate)}/s`,
    `${result.connections}×${result.pipeline}`,
    integer(result.opsPerSec),
    fixed(result.serverCpuUsPerOp),
    fixed(result.generatorCpu?.usPerOp),
    integer(latency.p50),
    integer(latency.p90),
    integer(latency.p99),
    integer(latency.p999),
    integer(latency.max),
    integer(result.errors),
    integer(result.mismatches ?? 0),
  ];
}

function ratio(comparison: Comparison, name: RatioFigure): string {
  const value = comparison.ratios[name];
  return value === null ? '-' : `×${value.toFixed(2)}`;
}

function comparisonRow(comparison: Comparison): string[] {
  const kind = isCClient(comparison.clients.split(' vs ')[0] ?? '') ? 'C clients' : 'our generator';
  const clients = comparison.clients.split(' vs ')[0] ?? '';
  const setting = clients.endsWith(' no-autopipe') ? ', no-autopipe' : clients.endsWith(' autopipe') ? ', autopipe' : '';
  return [`${comparison.numerator}/${comparison.denominator}`, `${kind}${setting}`, comparison.workload, '', '', ratio(comparison, 'opsPerSec'), ratio(comparison, 'serverCpuUsPerOp'), ratio(comparison, 'generatorCpuUsPerOp'), ratio(comparison, 'p50'), ratio(comparison, 'p90'), ratio(comparison, 'p99'), ratio(comparison, 'p999'), ratio(comparison, 'max'), '', ''];
}

function layout(rows: readonly string[][]): string {
  const widths = columns.map((_, index) => Math.max(...rows.map((row) => (row[index] ?? '').length)));
  const textColumns = 5;
  return rows
    .map((row) => row.map((cell, index) => (index < textColumns ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join('  ').trimEnd())
    .join('\n');
}

export function renderTable(report: BenchReport): string {
  const header = [...columns];
  const rows: string[][] = [header, ...report.results.map(resultRow)];
  const lines = [layout(rows)];
  if (report.comparisons.length > 0) {
    lines.push('', 'ratio Tessera / Redis (ops/s: > 1 favours Tessera; CPU and latency: < 1 does)');
    lines.push(layout([header, ...report.comparisons.map(comparisonRow)]));
  }
  for (const missing of report.unavailable) lines.push(`${missing.target} ${missing.workload} (${missing.client}): not available: ${missing.reason}`);
  lines.push('', 'latencies in µs; srv µs/op = server CPU (user+sys) per op, the fair comparison when client and server share the cores;');
  lines.push('gen µs/op = the generator process\'s CPU per op (client library + harness); autopipe = ioredis enableAutoPipelining / Tessera autoPipelining');
  return lines.join('\n');
}
