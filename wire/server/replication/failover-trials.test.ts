// Failover trials (issue 12): primary SIGKILLed at a random moment under `ack: "replica"` writes,
// replica promoted: every acknowledged write is on it, and nothing never written. 10 trials here
// (seeds printed); TESSERA_FAILOVER_TRIALS=N runs more.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DataDirs } from './replication.fixture';
import { runFailoverTrial } from './failover-trial.fixture';

const dirs = new DataDirs();
after(() => dirs.removeAll());

const trials = Number(process.env['TESSERA_FAILOVER_TRIALS'] ?? 10);
const firstSeed = Number(process.env['TESSERA_FAILOVER_SEED'] ?? Date.now() % 1_000_000);

test(`${trials} failover trials: SIGKILL under ack "replica" writes, promote, every acknowledged write is on the new primary`, async () => {
  let acknowledged = 0;
  for (let trial = 0; trial < trials; trial++) {
    const result = await runFailoverTrial(firstSeed + trial, dirs);
    acknowledged += result.acknowledged;
    console.log(`trial ${trial + 1}/${trials} seed ${result.seed}: killed after ${result.killAfterMs} ms, ${result.acknowledged} acknowledged, ${result.missing.length} missing, ${result.unknown.length} unknown`);
    assert.deepEqual(result.missing, [], `seed ${result.seed}: acknowledged writes missing after the failover`);
    assert.deepEqual(result.unknown, [], `seed ${result.seed}: keys never written`);
    assert.ok(result.acknowledged > 0, `seed ${result.seed}: the trial acknowledged nothing`);
    dirs.removeAll();
  }
  console.log(`${trials} trials, ${acknowledged} acknowledged writes, none lost`);
});
