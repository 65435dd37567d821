// Bench flags: the defaults are the standard comparison; out-of-bounds values are refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBenchOptions, usage, UsageError } from './cli-options';

test('defaults: cdn, tessera and redis, closed loop, 50 connections, pipeline 1', () => {
  const options = parseBenchOptions([]);
  assert.deepEqual(options.workloads, ['cdn']);
  assert.deepEqual(options.targets, ['tessera', 'redis']);
  assert.equal(options.connections, 50);
  assert.equal(options.pipeline, 1);
  assert.equal(options.rate, 0);
  assert.equal(options.cClients, true);
  // Like for like: auto-pipelining on both sides, then off on both sides.
  assert.deepEqual(options.autoPipelining, [true, false]);
  // The default run must fit in 3 minutes: rounds × targets × settings × (duration + warm-up) plus C clients.
  assert.ok(options.rounds * 2 * options.autoPipelining.length * (options.durationSec + options.warmupSec) + 2 * options.durationSec < 100);
});

test('flags are parsed', () => {
  const options = parseBenchOptions(['--workload', 'cms,fanout', '--targets', 'redis', '--connections', '8', '--pipeline', '16', '--rate', '20000', '--value-size', '512', '--keys', '1000', '--json', 'x.json', '--no-c-clients']);
  assert.deepEqual(options.workloads, ['cms', 'fanout']);
  assert.deepEqual(options.targets, ['redis']);
  assert.equal(options.pipeline, 16);
  assert.equal(options.rate, 20000);
  assert.equal(options.valueSize, 512);
  assert.equal(options.threads, 2);
  assert.equal(options.jsonPath, 'x.json');
  assert.equal(options.cClients, false);
  assert.equal(parseBenchOptions(['--connections', '1']).threads, 1, 'never more threads than connections');
});

test('--auto-pipelining on|off|both', () => {
  assert.deepEqual(parseBenchOptions(['--auto-pipelining', 'on']).autoPipelining, [true]);
  assert.deepEqual(parseBenchOptions(['--auto-pipelining', 'off']).autoPipelining, [false]);
  assert.deepEqual(parseBenchOptions(['--auto-pipelining', 'both']).autoPipelining, [true, false]);
  assert.match(usage, /--auto-pipelining on\|off\|both/);
});

test('bad values are refused', () => {
  for (const argv of [['--auto-pipelining', 'yes'], ['--workload', 'txn'], ['--targets', 'memcached'], ['--connections', '0'], ['--pipeline', '1.5'], ['--duration', '100000'], ['--ns', 'a/b'], ['--rate=-3']]) {
    assert.throws(() => parseBenchOptions(argv), UsageError, argv.join(' '));
  }
  assert.throws(() => parseBenchOptions(['--bogus']), TypeError);
});

test('--access selects the access-cost mode and keeps --duration, --rounds and --json', () => {
  const options = parseBenchOptions(['--access', '--duration', '5', '--rounds', '3', '--json', 'a.json']);
  assert.equal(options.access, true);
  assert.equal(options.durationSec, 5);
  assert.equal(options.rounds, 3);
  assert.equal(options.jsonPath, 'a.json');
  assert.equal(parseBenchOptions([]).access, false);
  assert.match(usage, /--access/);
});

test('--io-threads N is passed to Tessera; absent, the server keeps its default', () => {
  assert.equal(parseBenchOptions([]).ioThreads, null);
  assert.equal(parseBenchOptions(['--io-threads', '2']).ioThreads, 2);
  assert.throws(() => parseBenchOptions(['--io-threads', '0']), UsageError);
  assert.throws(() => parseBenchOptions(['--io-threads', '65']), UsageError);
  assert.match(usage, /--io-threads N/);
});
