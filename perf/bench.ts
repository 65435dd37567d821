// `npm run bench`: the end-to-end comparison of Tessera and Redis (perf/README.md explains what is
// measured and why). Prints progress while it runs, then the table; writes JSON and HTML reports.

import { renderTable } from './report-table';
import { parseBenchOptions, usage, UsageError, type BenchOptions } from './cli-options';
import { reportShapeProblems, tesseraVersusRedis } from './bench-report';
import { BenchSession } from './bench-session';
import { Progress } from './progress';
import { renderHtml } from './report-html';
import { defaultReportPath, writeReportFile } from './report-files';
import { renderAccessTable, runAccessCost } from './access-cost';

/** --access: token and TLS against plain, for Tessera and Redis (perf/access-cost.ts). */
async function runAccessMode(options: BenchOptions): Promise<number> {
  const progress = new Progress();
  const rounds = options.rounds;
  const durationSec = Math.max(1, Math.round(options.durationSec));
  progress.log(`access cost: 6 configurations x ${rounds} x ${durationSec} s`);
  const report = await runAccessCost({ durationSec, rounds }, (line) => progress.log(line));
  process.stdout.write(`\n${renderAccessTable(report)}\n\n`);
  const jsonPath = options.jsonPath ?? defaultReportPath('json', new Date(report.startedAt), 'access');
  writeReportFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  progress.log(`report: ${jsonPath}`);
  return report.rows.every((row) => row.medianRequestsPerSec > 0 && row.rounds.every((round) => round.non2xx === 0)) ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(argv);
  } catch (error: unknown) {
    if (!(error instanceof UsageError || error instanceof TypeError)) throw error;
    process.stderr.write(`${error.message}\n${usage}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (options.access) return runAccessMode(options);
  const progress = new Progress();
  const session = new BenchSession(options, progress);
  try {
    await session.startServers();
    for (const workload of options.workloads) await session.runWorkload(workload);
  } finally {
    await session.stop();
  }
  const report = session.report;
  report.finishedAt = new Date().toISOString();
  report.comparisons = tesseraVersusRedis(report.results);
  const problems = reportShapeProblems(report);
  if (problems.length > 0) throw new Error(`report shape: ${problems.join('; ')}`);
  process.stdout.write(`\n${renderTable(report)}\n\n`);
  const startedAt = new Date(report.startedAt);
  const jsonPath = options.jsonPath ?? defaultReportPath('json', startedAt);
  const htmlPath = options.htmlPath ?? defaultReportPath('html', startedAt);
  writeReportFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeReportFile(htmlPath, renderHtml(report));
  progress.log(`reports: ${jsonPath}\n         ${htmlPath}`);
  return report.results.length > 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
