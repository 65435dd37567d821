// Workload drivers against the in-process fake: the op mix, conditional puts and what a
// GenerationMismatch does to the generation memory.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createGenerationMemory, recallGeneration } from './generation-memory';
import { countOutcome, createOutcomeCounts } from './outcome';
import { SeededRandom } from '../engine/layout/seeded-random';
import { FakeConnection } from './target-fake';
import type { TargetConnection } from './target-connection';
import { cdnPutFraction, createWorkloadDriver } from './workload';
import { ZipfSampler } from './zipf';

const keys = 1000;
const ops = 20_000;

test('cdn: about 5 % puts, all unconditional', async () => {
  const driver = createWorkloadDriver('cdn', new ZipfSampler(keys, 0.99), new SeededRandom(5), null);
  const connection = new FakeConnection({ keys, preloaded: true });
  const counts = createOutcomeCounts();
  for (let op = 0; op < ops; op++) countOutcome(counts, await driver.issue(connection, 0));
  assert.equal(driver.opsGet + driver.opsPut, ops);
  assert.ok(Math.abs(driver.opsPut / ops - cdnPutFraction) < 0.01, `put share ${driver.opsPut / ops}`);
  assert.equal(counts.ok, ops);
});

test('cms with a preloaded generation memory: 50/50, every put conditional and right', async () => {
  const generations = createGenerationMemory(keys);
  generations.fill(1);
  const driver = createWorkloadDriver('cms', new ZipfSampler(keys, 0.99), new SeededRandom(9), generations);
  const connection = new FakeConnection({ keys, preloaded: true });
  const counts = createOutcomeCounts();
  for (let op = 0; op < ops; op++) countOutcome(counts, await driver.issue(connection, 0));
  assert.ok(Math.abs(driver.opsPut / ops - 0.5) < 0.02, `put share ${driver.opsPut / ops}`);
  assert.equal(counts.mismatch, 0, 'one writer in sequence never races');
  assert.equal(counts.ok, ops);
  assert.ok(recallGeneration(generations, 0) > 100, 'the hottest key was written many times');
});

test('cms: a stale generation gives one mismatch, is forgotten, and the key is re-read before the next put', async () => {
  // A seed whose first op is a put: the driver draws the key, then put-or-get (< 0.5 = put).
  let seed = 1;
  for (; seed < 64; seed++) {
    const probe = new SeededRandom(seed);
    probe.next();
    if (probe.next() < 0.5) break;
  }
  const generations = createGenerationMemory(1);
  generations.fill(1);
  const fake = new FakeConnection({ keys: 1, preloaded: true });
  await fake.put(0, 0); // Another editor wrote: the server is at generation 2, the memory says 1.
  const seen: string[] = [];
  const spy: TargetConnection = {
    get: (keyIndex) => (seen.push('get'), fake.get(keyIndex)),
    put: (keyIndex, ifGeneration) => (seen.push(`put if ${ifGeneration}`), fake.put(keyIndex, ifGeneration)),
    close: () => fake.close(),
  };
  const driver = createWorkloadDriver('cms', new ZipfSampler(1, 0.99), new SeededRandom(seed), generations);
  const counts = createOutcomeCounts();
  for (let op = 0; op < 40; op++) countOutcome(counts, await driver.issue(spy, 0));
  assert.equal(seen[0], 'put if 1');
  assert.equal(counts.mismatch, 1, 'only the stale put fails');
  const rest = seen.slice(1);
  const nextGet = rest.indexOf('get');
  const nextPut = rest.findIndex((entry) => entry.startsWith('put'));
  assert.ok(nextGet >= 0 && (nextPut === -1 || nextGet < nextPut), `re-read before the next put: ${rest.join(', ')}`);
  assert.equal(driver.opsGet + driver.opsPut, 40);
});
