// The whole generator path with real worker threads against the in-process fake target: plans
// split connections evenly, workers run both phases, histograms merge in the main thread.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runLoad, splitEvenly, workerPlans, type LoadRunPlan } from './load-run';
import { outcomeTotal } from './outcome';

function plan(overrides: Partial<LoadRunPlan>): LoadRunPlan {
  return {
    endpoint: { name: 'fake', host: '127.0.0.1', port: 0, namespace: 'content' },
    workload: 'cdn',
    connections: 5,
    threads: 2,
    pipeline: 2,
    rate: 0,
    keys: 1000,
    valueSize: 64,
    zipfExponent: 0.99,
    seed: 1,
    warmupMs: 100,
    durationMs: 300,
    fanoutRate: 100,
    fanoutGraceMs: 100,
    serverPid: null,
    generations: null,
    ...overrides,
  };
}

test('connections and open-loop rate are split across workers', () => {
  assert.deepEqual(splitEvenly(5, 2), [3, 2]);
  assert.deepEqual(splitEvenly(2, 4), [1, 1, 0, 0]);
  const plans = workerPlans(plan({ connections: 5, threads: 2, rate: 1000 }));
  assert.deepEqual(plans.map((worker) => worker.connections), [3, 2]);
  assert.deepEqual(plans.map((worker) => worker.laneIndexFirst), [0, 3]);
  assert.ok(plans.every((worker) => worker.ratePerLane === 200));
  assert.equal(workerPlans(plan({ connections: 1, threads: 4 })).length, 1);
});

test('closed loop through worker threads: ops counted, histograms merged', async () => {
  const result = await runLoad(plan({}), () => undefined);
  const ops = outcomeTotal(result.counts);
  assert.ok(ops > 100, `ops ${ops}`);
  assert.equal(result.latency.totalCount, ops);
  assert.equal(result.counts.error, 0);
  assert.equal(result.opsGet + result.opsPut, ops);
  assert.equal(result.serverCpuUs, null);
  assert.ok(result.generatorCpuUs > 0);
});

test('open loop through worker threads offers the planned rate', async () => {
  const result = await runLoad(plan({ rate: 2000, workload: 'cms' }), () => undefined);
  const ops = outcomeTotal(result.counts);
  // 2000 ops/s for 0.3 s: 600 due.
  assert.ok(ops >= 540 && ops <= 610, `ops ${ops}`);
  assert.equal(result.service.totalCount, ops);
});

test('fanout through a worker thread: every subscriber gets every measured write', async () => {
  const result = await runLoad(plan({ workload: 'fanout', threads: 1, connections: 4 }), () => undefined);
  assert.ok(result.published >= 25 && result.published <= 31, `published ${result.published}`);
  assert.equal(result.counts.ok, result.published * 4);
});
