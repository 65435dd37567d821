// Real-process crash trials (issue 11), more than npm test runs: each trial loads a server with puts
// and deletes, kills it with SIGKILL at a random moment, restarts it on the same data dir and checks
// every acknowledged write (wire/server/crash-trial.fixture.ts). Prints one line per trial and a
// summary; writes JSON to perf/results/. Exits 1 if any trial lost or invented a write.
//
//   npm run crash-trials -- [--trials 100] [--seed N] [--fsync always|everysec|never]

import * as path from 'node:path';
import { runCrashTrial, type CrashTrialResult } from '../wire/server/crash-trial.fixture';
import { testSeed } from '../engine/layout/seeded-random';
import { projectRoot, writeReportFile } from './report-files';

interface TrialOptions {
  trials: number;
  seed: number;
  fsync: 'always' | 'everysec' | 'never';
}

function parseOptions(argv: string[]): TrialOptions {
  const options: TrialOptions = { trials: 100, seed: testSeed(), fsync: 'always' };
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index];
    const value = argv[index + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--trials') options.trials = Number(value);
    else if (name === '--seed') options.seed = Number(value);
    else if (name === '--fsync' && (value === 'always' || value === 'everysec' || value === 'never')) options.fsync = value;
    else throw new Error(`unknown option ${name} ${value}`);
  }
  if (!(Number.isInteger(options.trials) && options.trials >= 1 && options.trials <= 10_000)) throw new RangeError('--trials 1..10000');
  if (!Number.isInteger(options.seed)) throw new RangeError('--seed must be an integer');
  return options;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date();
  console.log(`crash trials: ${options.trials}, seed ${options.seed}, fsync ${options.fsync} (--seed ${options.seed} replays the run)`);
  const results: (CrashTrialResult & { ms: number })[] = [];
  for (let trial = 0; trial < options.trials; trial++) {
    const started = performance.now();
    const result = await runCrashTrial(options.seed + trial, { fsync: options.fsync });
    const ms = Math.round(performance.now() - started);
    results.push({ ...result, ms });
    const verdict = result.violations.length === 0 ? 'ok' : `FAIL (${result.violations.length} wrong keys)`;
    console.log(`trial ${String(trial + 1).padStart(4)}  seed ${result.seed}  kill at ${String(result.killAfterMs).padStart(4)} ms  acked ${String(result.acknowledged).padStart(6)}  in flight ${String(result.inFlightAtKill).padStart(3)}  keys ${result.keysChecked}  ${ms} ms  ${verdict}`);
    for (const violation of result.violations.slice(0, 5)) console.log(`    ${violation}`);
  }
  const failed = results.filter((result) => result.violations.length > 0);
  const acknowledged = results.reduce((sum, result) => sum + result.acknowledged, 0);
  const inFlight = results.reduce((sum, result) => sum + result.inFlightAtKill, 0);
  const idle = results.filter((result) => result.acknowledged === 0).length;
  console.log('');
  console.log(`summary: ${results.length} trials, ${results.length - failed.length} passed, ${failed.length} failed; ${acknowledged} acknowledged writes checked, ${inFlight} writes in flight at the kills; ${idle} trials acknowledged nothing before the kill`);
  if (failed.length > 0) console.log(`failed seeds: ${failed.map((result) => result.seed).join(', ')}`);
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const file = path.join(projectRoot(), 'perf', 'results', `crash-trials-${stamp}.json`);
  writeReportFile(file, JSON.stringify({ startedAt: startedAt.toISOString(), ...options, passed: results.length - failed.length, failed: failed.length, acknowledged, inFlight, results }, null, 2));
  console.log(`JSON: ${file}`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
