// ioThreads, the count of uWS I/O threads on the one port: its default, the config file key, the
// --io-threads flag and TESSERA_IO_THREADS (flag over environment over file), the values refused,
// the warning when the threads outnumber the CPUs, and `tessera config print`'s view of it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultShardCount } from '../../../engine/front/config';
import { effectiveConfig, resolveConfig, type ConfigSources } from '../server-config';
import { ServerError, serverErrorCodes } from '../server-errors';
import { checkThreads } from './cpu-check';

const plenty = { bytes: 64 * 1024 ** 3, source: "the machine's memory" };
const manyCpus = { cpus: 64, source: "the machine's CPUs" };
const twoCpus = { cpus: 2, source: "the machine's CPUs" };

function resolve(sources: Partial<ConfigSources> & { file?: object }): ReturnType<typeof resolveConfig> {
  const { file, ...rest } = sources;
  const flags = { ...(file === undefined ? {} : { config: 'c.json' }), ...rest.flags };
  return resolveConfig({ env: {}, memory: plenty, cpus: manyCpus, readFile: () => JSON.stringify(file), ...rest, flags });
}

/** The ConfigInvalid error a resolve throws: its message and its per-path problems (file only). */
function refusal(sources: Partial<ConfigSources> & { file?: object }): { message: string; problems: readonly string[] } {
  try {
    resolve(sources);
  } catch (error: unknown) {
    assert.ok(error instanceof ServerError && error.code === serverErrorCodes.ConfigInvalid, String(error));
    return { message: error.message, problems: error.problems };
  }
  return assert.fail(`accepted: ${JSON.stringify(sources)}`);
}

test('the default is one I/O thread, and config print shows it', () => {
  const { config } = resolve({});
  assert.equal(config.ioThreads, 1);
  assert.equal(effectiveConfig(config)['ioThreads'], 1);
});

test('the config file key ioThreads is read, and config print shows it', () => {
  const { config } = resolve({ file: { ioThreads: 4 } });
  assert.equal(config.ioThreads, 4);
  assert.equal(effectiveConfig(config)['ioThreads'], 4);
  assert.equal(resolve({ file: { port: 7171 } }).config.ioThreads, 1, 'a file without the key keeps the default');
});

test('--io-threads wins over TESSERA_IO_THREADS, which wins over the file', () => {
  const file = { ioThreads: 2 };
  assert.equal(resolve({ file, env: { TESSERA_IO_THREADS: '3' } }).config.ioThreads, 3);
  assert.equal(resolve({ file, env: { TESSERA_IO_THREADS: '3' }, flags: { ioThreads: '4' } }).config.ioThreads, 4);
  assert.equal(resolve({ file, flags: { ioThreads: '64' } }).config.ioThreads, 64, 'the top of the range');
  assert.equal(resolve({ env: { TESSERA_IO_THREADS: ' 5 ' } }).config.ioThreads, 5, 'surrounding spaces, as --port takes them');
  assert.equal(resolve({ file, env: { TESSERA_IO_THREADS: '' } }).config.ioThreads, 2, 'an empty variable is unset');
});

test('0, 65, 1.5 and "x" are refused from the file, the environment and the flag, naming the key', () => {
  for (const value of [0, 65, 1.5, 'x', null]) {
    assert.deepEqual(refusal({ file: { ioThreads: value } }).problems, ['ioThreads must be an integer in 1..64'], JSON.stringify(value));
  }
  for (const text of ['0', '65']) {
    const expected = `invalid config: --io-threads must be an integer in 1..64, got ${text}`;
    assert.equal(refusal({ flags: { ioThreads: text } }).message, expected);
    assert.equal(refusal({ env: { TESSERA_IO_THREADS: text } }).message, expected);
  }
  for (const text of ['1.5', 'x', '-1', '2e1']) {
    const expected = `invalid config: --io-threads must be an integer, got ${JSON.stringify(text)}`;
    assert.equal(refusal({ flags: { ioThreads: text } }).message, expected);
    assert.equal(refusal({ env: { TESSERA_IO_THREADS: text } }).message, expected);
  }
  assert.equal(refusal({ flags: { ioThreads: 'x' }, env: { TESSERA_IO_THREADS: '2' } }).message, 'invalid config: --io-threads must be an integer, got "x"', 'a bad flag is not hidden by a good variable');
});

test('I/O threads and shards above the CPUs available are a warning, not an error', () => {
  const shards = (count: number) => ({ engine: { shards: count } });
  assert.deepEqual(resolve({ file: shards(1), flags: { ioThreads: '2' }, cpus: twoCpus }).warnings, [
    "2 I/O threads and 1 shard thread on 2 CPUs (the machine's CPUs): threads will share cores",
  ]);
  assert.deepEqual(resolve({ file: { ...shards(3), ioThreads: 4 }, cpus: { cpus: 6, source: 'the cgroup CPU quota (/sys/fs/cgroup/cpu.max)' } }).warnings, [
    '4 I/O threads and 3 shard threads on 6 CPUs (the cgroup CPU quota (/sys/fs/cgroup/cpu.max)): threads will share cores',
  ]);
  // Shards past the CPUs as well: one warning, the one that counts every thread.
  assert.deepEqual(resolve({ file: shards(8), flags: { ioThreads: '2' }, cpus: twoCpus }).warnings, [
    "2 I/O threads and 8 shard threads on 2 CPUs (the machine's CPUs): threads will share cores",
  ]);
  // No shard count given: the engine's default is counted.
  const defaulted = resolve({ flags: { ioThreads: '64' }, cpus: twoCpus }).warnings;
  assert.deepEqual(defaulted, [`64 I/O threads and ${defaultShardCount()} shard thread${defaultShardCount() === 1 ? '' : 's'} on 2 CPUs (the machine's CPUs): threads will share cores`]);
});

test('no warning while the threads fit the CPUs, or with the one front I/O thread', () => {
  assert.deepEqual(resolve({ file: { engine: { shards: 2 } }, flags: { ioThreads: '2' }, cpus: { cpus: 4, source: "the machine's CPUs" } }).warnings, [], 'exactly the CPUs');
  assert.deepEqual(resolve({ file: { engine: { shards: 1 } }, cpus: twoCpus }).warnings, [], 'the default: one I/O thread, one shard');
  assert.deepEqual(resolve({ file: { engine: { shards: 2 } }, cpus: twoCpus }).warnings, [], 'one I/O thread: only shards past the CPUs warn (checkShards)');
  assert.equal(checkThreads(1, 1, { cpus: 1, source: "the machine's CPUs" }), null, 'the front thread alone never warns');
  assert.equal(checkThreads(1, 2, twoCpus)?.startsWith('2 I/O threads and 1 shard thread on 2 CPUs'), true);
  assert.throws(() => checkThreads(1, 0, twoCpus), /invariant broken/, 'an unvalidated count is a bug');
});
