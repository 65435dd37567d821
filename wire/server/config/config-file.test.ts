// The config file against its one schema (config-schema.ts): unknown keys at any depth, sizes with
// units, every problem named by its path, and memory limits against the memory available.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveConfig, type ConfigSources } from '../server-config';
import { ServerError, serverErrorCodes } from '../server-errors';
import { availableParallelism } from 'node:os';
import { checkShards, cpusAvailable } from './cpu-check';
import { memoryAvailable } from './memory-check';

const gib = 1024 ** 3;
const plenty = { bytes: 64 * gib, source: "the machine's memory" };

function resolveFile(file: object, memory = plenty): ReturnType<typeof resolveConfig> {
  return resolveConfig({ flags: { config: 'c.json' }, env: {}, readFile: () => JSON.stringify(file), memory });
}

function problemsOf(file: object, memory = plenty): readonly string[] {
  try {
    resolveFile(file, memory);
  } catch (error: unknown) {
    assert.ok(error instanceof ServerError && error.code === serverErrorCodes.ConfigInvalid, String(error));
    return error.problems;
  }
  return assert.fail('the file was accepted');
}

test('an unknown key at any depth is an error naming its path', () => {
  assert.deepEqual(problemsOf({ engine: { changelogCapacity: 1024 } }), ['unknown field engine.changelogCapacity']);
  assert.deepEqual(problemsOf({ engine: { namespaces: [{ name: 'a' }, { name: 'b', maxKeyByte: 10 }] } }), ['unknown field engine.namespaces[1].maxKeyByte']);
  assert.deepEqual(problemsOf({ limits: { maxConection: 1 } }), ['unknown field limits.maxConection']);
  assert.deepEqual(problemsOf({ auth: { tokens: [], openstatus: true } }), ['unknown field auth.openstatus']);
  assert.deepEqual(problemsOf({ persistence: { dataDir: 'x', fsink: 'always' } }), ['unknown field persistence.fsink']);
  assert.deepEqual(problemsOf({ tls: { certFile: 'a', keyFile: 'b', caFile: 'c' } }), ['unknown field tls.caFile']);
});

test('every problem of a file is reported, each with its path', () => {
  const problems = problemsOf({ port: 'x', engine: { shards: 0, changeLogCapacity: 1000, namespaces: [{ name: 'bad name!', mode: 'lru' }] }, limits: { idleTimeoutSec: 3 }, extra: 1 });
  assert.deepEqual(problems, [
    'port must be an integer in 0..65535',
    'engine.shards must be an integer in 1..64',
    'engine.namespaces[0].name is not a namespace name (1-64 of A-Z a-z 0-9 _ . -)',
    'engine.namespaces[0].mode must be one of store, cache',
    // Refinements (a power of two, 0 or 8..960) run after the plain checks.
    'engine.changeLogCapacity must be a power of two',
    'limits.idleTimeoutSec must be 0 or 8..960 (uWS)',
    'unknown field extra',
  ]);
});

test('sizes accept units; numbers stay bytes', () => {
  const { config } = resolveFile({
    engine: { namespaces: [{ name: 'content', memoryLimitBytes: '1GiB', maxKeyBytes: '2KiB', maxValueBytes: 4096 }] },
    persistence: { walSegmentBytes: '16MiB' },
    limits: { backpressureBytesMax: '32MiB', busyBackpressureBytes: 1048576 },
  });
  assert.deepEqual(config.engine.namespaces, [{ name: 'content', memoryLimitBytes: gib, maxKeyBytes: 2048, maxValueBytes: 4096 }]);
  assert.equal(config.persistence === false ? 0 : config.persistence.walSegmentBytes, 16 * 1024 * 1024);
  assert.equal(config.limits.backpressureBytesMax, 32 * 1024 * 1024);
  assert.equal(config.limits.busyBackpressureBytes, 1024 * 1024);
  assert.equal(config.limits.subscriberBackpressureBytes, 8 * 1024 * 1024, 'its default: a quarter of backpressureBytesMax');
  assert.match(problemsOf({ engine: { namespaces: [{ name: 'a', memoryLimitBytes: '1 gigabyte' }] } })[0] ?? '', /^engine\.namespaces\[0\]\.memoryLimitBytes must be a size in 1 MiB\.\./);
  assert.match(problemsOf({ engine: { namespaces: [{ name: 'a', maxValueBytes: '1GiB' }] } })[0] ?? '', /maxValueBytes must be a size in 0 B\.\.64 MiB/);
});

test('a file keeps the defaults of every key it does not name, at every depth', () => {
  const { config } = resolveFile({ limits: { maxConnections: 5 }, auth: { openMetrics: false } });
  assert.equal(config.limits.maxConnections, 5);
  assert.equal(config.limits.idleTimeoutSec, 120);
  assert.deepEqual(config.auth, { tokens: [], openStatus: false, openMetrics: false });
});

test('"$schema" names the published schema and is otherwise ignored', () => {
  const { config } = resolveFile({ $schema: './config.schema.json', port: 7171 });
  assert.equal(config.port, 7171);
  assert.equal('$schema' in config, false);
});

test('a memory limit above the memory available is refused, naming where the figure came from', () => {
  const container = { bytes: 512 * 1024 * 1024, source: 'the cgroup limit (/sys/fs/cgroup/memory.max)' };
  const problems = problemsOf({ engine: { namespaces: [{ name: 'content', memoryLimitBytes: '1GiB' }] } }, container);
  assert.deepEqual(problems, ['engine.namespaces[0].memoryLimitBytes (content): 1 GiB is more than the 512 MiB of memory available (the cgroup limit (/sys/fs/cgroup/memory.max))']);
});

test('without a limit, a namespace gets half the memory available when that is under 1 GiB; overcommit warns', () => {
  const container = { bytes: 512 * 1024 * 1024, source: 'the cgroup limit (/sys/fs/cgroup/memory.max)' };
  const derived = resolveConfig({ flags: {}, env: {}, memory: container });
  assert.deepEqual(derived.config.engine.namespaces, [{ name: 'content', mode: 'store', memoryLimitBytes: 256 * 1024 * 1024 }]);
  assert.equal(derived.warnings.length, 1);
  assert.match(derived.warnings[0] ?? '', /namespace content: no memoryLimitBytes given, so 256 MiB/);
  assert.deepEqual(resolveConfig({ flags: {}, env: {}, memory: plenty }).warnings, [], 'plenty of memory: the 1 GiB default, no warning');
  const overcommitted = resolveFile({ engine: { namespaces: [{ name: 'a', memoryLimitBytes: '400MiB' }, { name: 'b', memoryLimitBytes: '400MiB' }] } }, container);
  assert.match(overcommitted.warnings.join('\n'), /add up to 800 MiB, more than the 512 MiB available/);
});

test('the memory available: the cgroup limit when lower than the machine, "max" = none', () => {
  const files = (contents: Record<string, string>): ((file: string) => string) => (file) => {
    const text = contents[file];
    if (text === undefined) throw new Error('ENOENT');
    return text;
  };
  assert.deepEqual(memoryAvailable(files({ '/sys/fs/cgroup/memory.max': '536870912\n' })), { bytes: 536870912, source: 'the cgroup limit (/sys/fs/cgroup/memory.max)' });
  assert.equal(memoryAvailable(files({ '/sys/fs/cgroup/memory.max': 'max\n' })).source, "the machine's memory");
  assert.equal(memoryAvailable(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' })).source, "the machine's memory");
  assert.equal(memoryAvailable(files({})).source, "the machine's memory");
});

test('sources other than the file: flags and environment are merged after it (ConfigSources)', () => {
  const sources: ConfigSources = { flags: { config: 'c.json', port: '7272' }, env: { TESSERA_LOG_LEVEL: 'warn' }, readFile: () => '{"port": 7171, "logLevel": "debug"}', memory: plenty };
  const { config } = resolveConfig(sources);
  assert.deepEqual([config.port, config.logLevel], [7272, 'warn']);
});

test('shards above the CPUs available (machine or cgroup quota) are a warning', () => {
  const files = (contents: Record<string, string>): ((file: string) => string) => (file) => {
    const text = contents[file];
    if (text === undefined) throw new Error('ENOENT');
    return text;
  };
  assert.deepEqual(cpusAvailable(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' })).cpus, Math.min(1, availableParallelism()));
  assert.equal(cpusAvailable(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' })).source, "the machine's CPUs");
  const two = { cpus: 2, source: "the machine's CPUs" };
  assert.equal(checkShards(2, two), null);
  assert.equal(checkShards(undefined, two), null, 'the default is one per core');
  assert.match(checkShards(8, two) ?? '', /^engine\.shards is 8, more than the 2 CPUs available/);
  const { warnings } = resolveConfig({ flags: { config: 'c.json' }, env: {}, readFile: () => JSON.stringify({ engine: { shards: 64 } }), memory: plenty, cpus: two });
  assert.deepEqual(warnings, ['engine.shards is 64, more than the 2 CPUs available (the machine\'s CPUs): shard threads will share cores with each other and the front thread']);
});

test('a namespace cache policy passes the schema and reaches the engine config; a bad one is refused with its path', () => {
  const policy = { maxAge: 'no-cache', sMaxAge: 600, staleWhileRevalidate: 30, staleIfError: 86400, immutable: false };
  const { config } = resolveFile({ engine: { namespaces: [{ name: 'pages', cache: policy }] } });
  assert.deepEqual(config.engine.namespaces?.[0]?.cache, policy);
  for (const cache of [{ maxAge: -1 }, { maxAge: 'forever' }, { immutable: 'yes' }, { maxage: 10 }]) {
    const problems = problemsOf({ engine: { namespaces: [{ name: 'pages', cache }] } });
    assert.ok(problems.length === 1 && problems[0]!.includes('engine.namespaces[0].cache'), `${JSON.stringify(cache)}: ${problems.join('; ')}`);
  }
});
