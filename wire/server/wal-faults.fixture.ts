// Test-only (a fixture: only serve-with-hooks.fixture.ts loads it): the WAL faults of
// engine/layout/file-layer.ts for a real server process, switched on by environment variables
// named TESSERA_TEST_*, so the end-to-end tests can make a node's disk fail (fsync EIO, ENOSPC).

import type { TestOnlyFaults } from '../../engine/layout/file-layer';

export const testWalFsyncsVariable = 'TESSERA_TEST_WAL_FSYNCS_BEFORE_FAILURE';
export const testWalWriteBytesVariable = 'TESSERA_TEST_WAL_WRITE_BYTES_MAX';

function count(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number`);
  return value;
}

/** The faults the environment asks for, or undefined when it asks for none. */
export function walFaultsFromEnv(env: Readonly<Record<string, string | undefined>>): TestOnlyFaults | undefined {
  const fsyncsBeforeFailure = count(env, testWalFsyncsVariable);
  const writeBytesMax = count(env, testWalWriteBytesVariable);
  if (fsyncsBeforeFailure === undefined && writeBytesMax === undefined) return undefined;
  return {
    ...(fsyncsBeforeFailure === undefined ? {} : { fsyncsBeforeFailure }),
    ...(writeBytesMax === undefined ? {} : { writeBytesMax }),
  };
}
