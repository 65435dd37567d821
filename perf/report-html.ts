// The HTML report: the results table and, per workload, the latency percentile plot as
// HdrHistogram's plotter draws it: x = 1/(1 - percentile) on a log axis, so 90 %, 99 %, 99.9 % …
// sit at equal spacing. Chart.js 4's UMD build is inlined so the file works offline, alone.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BenchReport } from './bench-report';
import { renderTable } from './report-table';

/** chart.js's package exports hide dist/, so locate it from the CommonJS entry (dist/chart.cjs). */
export function chartJsUmdPath(): string {
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text placed inside <script> must not contain "</script". */
function scriptSafe(code: string): string {
  return code.replace(/<\/script/gi, '<\\/script');
}

// Runs in the browser: one chart per workload, one line per result.
const drawCharts = `
const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const workloads = [...new Set(report.results.map((result) => result.workload))];
const charts = [];
function percentLabel(x) {
  const percentile = 100 * (1 - 1 / x);
  return (Math.round(percentile * 10000) / 10000) + '%';
}
for (const workload of workloads) {
  const section = document.createElement('section');
  const title = document.createElement('h2');
  title.textContent = 'Latency by percentile: ' + workload;
  const canvas = document.createElement('canvas');
  section.append(title, canvas);
  document.getElementById('charts').append(section);
  const results = report.results.filter((result) => result.workload === workload && result.percentileCurve && result.percentileCurve.length > 0);
  const datasets = results.map((result, index) => ({
    label: result.target + ' (' + result.client + ', ' + result.mode + ')',
    data: result.percentileCurve.map((point) => ({ x: point.x, y: point.latencyUs })),
    borderColor: palette[index % palette.length],
    backgroundColor: palette[index % palette.length],
    pointRadius: 0,
    borderWidth: 2,
    tension: 0,
  }));
  const xMax = Math.max(10, ...results.map((result) => result.percentileCurve[result.percentileCurve.length - 1].x));
  charts.push(new Chart(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      parsing: true,
      animation: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: {
        x: {
          type: 'logarithmic', min: 1, max: xMax,
          title: { display: true, text: 'percentile' },
          afterBuildTicks: (axis) => {
            const ticks = [];
            for (let x = 1; x <= xMax * 1.0001; x *= 10) ticks.push({ value: x });
            axis.ticks = ticks;
          },
          ticks: { callback: (value) => percentLabel(Number(value)) },
        },
        y: { type: 'linear', min: 0, title: { display: true, text: 'latency (µs)' } },
      },
      plugins: {
        tooltip: { callbacks: { title: (items) => items.length ? percentLabel(items[0].parsed.x) : '', label: (item) => item.dataset.label + ': ' + item.parsed.y + ' µs' } },
      },
    },
  }));
}
document.getElementById('logY').addEventListener('change', (event) => {
  for (const chart of charts) {
    chart.options.scales.y.type = event.target.checked ? 'logarithmic' : 'linear';
    chart.options.scales.y.min = event.target.checked ? undefined : 0;
    chart.update();
  }
});
`;

export function renderHtml(report: BenchReport, chartJsSource: string = readFileSync(chartJsUmdPath(), 'utf8')): string {
  const data = JSON.stringify(report).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tessera bench ${escapeHtml(report.startedAt)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 1100px; }
pre { font-size: 12px; overflow-x: auto; background: #f6f6f6; padding: 1em; }
section { margin-top: 2em; }
</style>
</head>
<body>
<h1>Tessera bench</h1>
<p>${escapeHtml(report.startedAt)} → ${escapeHtml(report.finishedAt)} · ${report.host.cpus} × ${escapeHtml(report.host.cpuModel)} · Node ${escapeHtml(report.host.node)}</p>
<pre>${escapeHtml(renderTable(report))}</pre>
<label><input type="checkbox" id="logY"> log latency axis</label>
<div id="charts"></div>
<script>${scriptSafe(chartJsSource)}</script>
<script>const report = ${data};</script>
<script>${scriptSafe(drawCharts)}</script>
</body>
</html>
`;
}
