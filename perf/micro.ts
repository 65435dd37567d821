// `npm run bench:micro`: benchmark.js micro-benchmarks of the hot parts. Adding a suite is one line
// in `suites` (a MicroSuite, see micro-suite.ts). `node dist/perf/micro.js codec` runs only the
// suites whose name contains "codec".

import Benchmark from 'benchmark';
import { codecSuite } from './micro-codec';
import { engineSuite } from './micro-engine';
import type { MicroSuite } from './micro-suite';

const suites: readonly MicroSuite[] = [
  engineSuite,
  codecSuite,
];

/** Keeps every result reachable so the optimiser cannot drop the timed work. */
let sink: unknown;

function runSuite(suite: MicroSuite): Promise<void> {
  const cases = suite.cases();
  if (typeof cases === 'string') {
    process.stdout.write(`\n${suite.name}: not available: ${cases}\n`);
    return Promise.resolve();
  }
  process.stdout.write(`\n${suite.name}\n`);
  const bench = new Benchmark.Suite(suite.name);
  for (const timed of cases) bench.add(timed.name, () => {
    sink = timed.run();
  });
  return new Promise((resolve) => {
    bench.on('cycle', (event: Benchmark.Event) => process.stdout.write(`  ${String(event.target)}\n`));
    bench.on('complete', () => resolve());
    bench.run({ async: true });
  });
}

async function main(filters: readonly string[]): Promise<void> {
  const chosen = suites.filter((suite) => filters.length === 0 || filters.some((filter) => suite.name.includes(filter)));
  for (const suite of chosen) await runSuite(suite);
  if (sink === Symbol.for('never')) process.stdout.write('');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`micro failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
