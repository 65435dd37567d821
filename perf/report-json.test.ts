// The JSON report's required shape, ratios, and the HTML/table renderings built from it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as vm from 'node:vm';
import { reportShapeProblems, tesseraVersusRedis, type BenchReport } from './bench-report';
import { createLatencyHistogram, recordLatencyUs } from './latency-histogram';
import type { LoadRunResult } from './load-run';
import { createOutcomeCounts } from './outcome';
import { existsSync } from 'node:fs';
import { chartJsUmdPath, renderHtml } from './report-html';
import { renderTable } from './report-table';
import { RoundPool, type RunShape } from './result-builder';

function syntheticRun(latencyUs: number, ops: number, serverCpuUs: number): LoadRunResult {
  const latency = createLatencyHistogram();
  for (let op = 0; op < ops; op++) recordLatencyUs(latency, latencyUs + (op % 10));
  const counts = createOutcomeCounts();
  counts.ok = ops - 2;
  counts.mismatch = 1;
  counts.error = 1;
  return { latency, service: createLatencyHistogram(), counts, opsGet: ops / 2, opsPut: ops / 2, published: 0, measuredMs: 1000, generatorCpuUs: ops * 3, serverCpuUs };
}

function shape(target: string, client: string): RunShape {
  return { target, workload: 'cdn', client, mode: 'closed', connections: 50, pipeline: 1, threads: 2, rate: 0, durationSec: 1 };
}

function syntheticReport(): BenchReport {
  const tessera = new RoundPool(shape('tessera', 'tessera-client'));
  tessera.add(syntheticRun(100, 1000, 5_000));
  tessera.add(syntheticRun(100, 1000, 5_000));
  const redis = new RoundPool(shape('redis', 'ioredis'));
  redis.add(syntheticRun(200, 500, 10_000));
  const results = [tessera.toResult(), redis.toResult()];
  return {
    tool: 'tessera-perf',
    version: 1,
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:01:00.000Z',
    host: { cpus: 2, cpuModel: 'test', node: process.version, platform: 'linux-x64' },
    options: {},
    results,
    unavailable: [{ target: 'tessera', workload: 'fanout', client: 'tessera-client', reason: 'no subscribe yet' }],
    comparisons: tesseraVersusRedis(results),
  };
}

test('every result has the required fields, and survives a JSON round trip', () => {
  const parsed: unknown = JSON.parse(JSON.stringify(syntheticReport()));
  assert.deepEqual(reportShapeProblems(parsed), []);
  const results = (parsed as BenchReport).results;
  assert.equal(results.length, 2);
  const tessera = results[0];
  assert.ok(tessera !== undefined);
  assert.deepEqual(Object.keys(tessera.latencyUs).sort(), ['max', 'p50', 'p90', 'p99', 'p999']);
  assert.equal(tessera.target, 'tessera');
  assert.equal(tessera.workload, 'cdn');
  assert.equal(tessera.rounds, 2);
  assert.equal(tessera.ops, 2000);
  assert.equal(tessera.opsPerSec, 1000);
  assert.equal(tessera.serverCpuUsPerOp, 5);
  assert.equal(tessera.errors, 2);
  assert.equal(tessera.mismatches, 2, 'mismatches are counted apart from errors');
  assert.ok(tessera.latencyUs.p50 >= 100 && tessera.latencyUs.p50 <= 110);
  assert.equal(tessera.latencyUs.max, 109);
  assert.ok(tessera.generatorCpu !== null && Math.abs(tessera.generatorCpu.usPerOp - 3) < 1e-9);
});

test('comparisons divide Tessera by Redis', () => {
  const [comparison] = syntheticReport().comparisons;
  assert.ok(comparison !== undefined);
  assert.equal(comparison.numerator, 'tessera');
  assert.equal(comparison.denominator, 'redis');
  assert.equal(comparison.ratios.opsPerSec, 2);
  assert.equal(comparison.ratios.serverCpuUsPerOp, 0.25);
  assert.ok(comparison.ratios.p50 !== null && comparison.ratios.p50 < 0.6);
});

test('each auto-pipelining setting is compared with the same setting, client CPU per op included', () => {
  const pool = (target: string, client: string, autoPipelining: boolean, ops: number): RoundPool => {
    const each = new RoundPool({ ...shape(target, client), autoPipelining });
    each.add(syntheticRun(100, ops, 1_000));
    return each;
  };
  // Listed so that a pairing by target and workload alone would cross the settings.
  const results = [
    pool('tessera', 'tessera-client autopipe', true, 1000),
    pool('tessera', 'tessera-client no-autopipe', false, 500),
    pool('redis', 'ioredis no-autopipe', false, 1000),
    pool('redis', 'ioredis autopipe', true, 2000),
  ].map((each) => each.toResult());
  assert.deepEqual(results.map((result) => result.autoPipelining), [true, false, false, true]);
  const comparisons = tesseraVersusRedis(results);
  assert.deepEqual(comparisons.map((comparison) => comparison.clients), ['tessera-client autopipe vs ioredis autopipe', 'tessera-client no-autopipe vs ioredis no-autopipe']);
  assert.deepEqual(comparisons.map((comparison) => comparison.ratios.opsPerSec), [0.5, 0.5]);
  // syntheticRun spends 3 µs of generator CPU per op on every target.
  assert.deepEqual(comparisons.map((comparison) => comparison.ratios.generatorCpuUsPerOp), [1, 1]);
  const table = renderTable({ ...syntheticReport(), results, comparisons });
  assert.match(table, /tessera\/redis\s+our generator, autopipe\s+cdn\s+×0\.50\s+×2\.00\s+×1\.00/);
  assert.match(table, /tessera\/redis\s+our generator, no-autopipe\s+cdn/);
});

test('shape problems are reported, not ignored', () => {
  assert.deepEqual(reportShapeProblems({}), ['results is not an array']);
  const problems = reportShapeProblems({ results: [{ target: 'x', workload: 'cdn', opsPerSec: Number.NaN, errors: 0, serverCpuUsPerOp: 'a', latencyUs: { p50: 1 } }] });
  assert.ok(problems.some((problem) => problem.includes('opsPerSec')));
  assert.ok(problems.some((problem) => problem.includes('serverCpuUsPerOp')));
  assert.ok(problems.some((problem) => problem.includes('latencyUs.p999')));
});

test('the table prints every result, the ratios and what was unavailable', () => {
  const table = renderTable(syntheticReport());
  assert.match(table, /^target\s+client/);
  assert.match(table, /tessera\s+tessera-client\s+cdn/);
  assert.match(table, /tessera\/redis/);
  assert.match(table, /×2\.00/);
  assert.match(table, /not available: no subscribe yet/);
});

test('the HTML inlines the chart library safely and embeds the report data', () => {
  const html = renderHtml(syntheticReport(), 'window.Chart = function () {}; /* </script> inside the library */');
  const scripts = html.split('<script>').length - 1;
  assert.equal(scripts, 3);
  assert.equal(html.split('</script>').length - 1, 3, 'no premature </script> from the inlined code');
  assert.match(html, /"percentileCurve"/);
  assert.match(html, /type: 'logarithmic'/);
  assert.ok(existsSync(chartJsUmdPath()), `chart.js UMD build at ${chartJsUmdPath()}`);
});

test('the page script draws one log-x percentile chart per workload (run against a stub Chart)', () => {
  const html = renderHtml(syntheticReport(), '/* chart.js stand-in */');
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
  const charts: { config: { data: { datasets: { label: string; data: { x: number; y: number }[] }[] }; options: { scales: { x: { type: string; ticks: { callback: (value: number) => string } } } } } }[] = [];
  const element = (): Record<string, unknown> => ({ append: () => undefined, addEventListener: () => undefined, textContent: '' });
  const context = vm.createContext({
    document: { createElement: element, getElementById: element },
    Chart: function Chart(this: unknown, _canvas: unknown, config: (typeof charts)[number]['config']) {
      charts.push({ config });
    },
  });
  // Top-level const declarations stay in the script scope: run the data and drawing scripts together.
  vm.runInContext(`${scripts[1] ?? ''}\n${scripts[2] ?? ''}`, context);
  assert.equal(charts.length, 1);
  const chart = charts[0];
  assert.ok(chart !== undefined);
  assert.equal(chart.config.data.datasets.length, 2);
  assert.equal(chart.config.options.scales.x.type, 'logarithmic');
  assert.equal(chart.config.options.scales.x.ticks.callback(10), '90%');
  assert.equal(chart.config.options.scales.x.ticks.callback(1000), '99.9%');
  const firstPoint = chart.config.data.datasets[0]?.data[0];
  assert.ok(firstPoint !== undefined && firstPoint.x === 1);
});
