// Crash trials in npm test (issue 11): 20 SIGKILLs at random moments under write load, each
// followed by a restart on the same data dir that must hold every acknowledged write. The seed is
// printed; TESSERA_SEED replays a run. `npm run crash-trials` runs more (perf/crash-trials.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testSeed } from '../../engine/layout/seeded-random';
import { runCrashTrial } from './crash-trial.fixture';

const trials = 20;

test(`${trials} SIGKILL crash trials: every acknowledged write survives, nothing unwritten appears`, { timeout: 300_000 }, async (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (TESSERA_SEED=${seed} replays it)`);
  let acknowledged = 0;
  let inFlight = 0;
  for (let trial = 0; trial < trials; trial++) {
    const result = await runCrashTrial(seed + trial);
    acknowledged += result.acknowledged;
    inFlight += result.inFlightAtKill;
    assert.ok(result.acknowledged > 0, `trial ${trial} (seed ${result.seed}): the load acknowledged nothing before the kill at ${result.killAfterMs} ms`);
    assert.deepEqual(result.violations, [], `trial ${trial} (seed ${result.seed}, kill at ${result.killAfterMs} ms)`);
  }
  t.diagnostic(`${trials} trials: ${acknowledged} acknowledged writes checked, ${inFlight} writes in flight at the kills`);
});
