// A test entry point (not the `tessera` executable): runs the CLI with the test-only hooks switched
// on by environment variables (engine-delay.fixture.ts: requests held in flight; wal-faults.fixture.ts:
// a failing WAL disk), so production code imports no test hook. server-process.fixture.ts starts
// this file when a test asks for `testHooks`.

import { main } from './cli';
import { applyTestHooks } from './engine-delay.fixture';
import { walFaultsFromEnv } from './wal-faults.fixture';

const testOnlyWalFaults = walFaultsFromEnv(process.env);

void main(process.argv.slice(2), {
  wrapEngine: (engine) => applyTestHooks(engine, process.env),
  ...(testOnlyWalFaults === undefined ? {} : { testOnlyWalFaults }),
}).then((code) => {
  process.exit(code);
});
