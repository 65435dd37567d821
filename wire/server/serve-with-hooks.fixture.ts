// A test entry point (not the `tessera` executable): runs the CLI with the test-only engine hooks of
// engine-delay.fixture.ts switched on by environment variables, so production code imports no test
// hook. server-process.fixture.ts starts this file when a test asks for `testHooks`.

import { main } from './cli';
import { applyTestHooks } from './engine-delay.fixture';

void main(process.argv.slice(2), { wrapEngine: (engine) => applyTestHooks(engine, process.env) }).then((code) => {
  process.exit(code);
});
