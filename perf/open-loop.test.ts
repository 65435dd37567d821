// Coordinated-omission correction: a target that stalls once for 200 ms. The open-loop lane must
// show the stall in its percentiles (every op that was due during the stall waited), while the
// naive figures (service time, or a closed loop) see it as one slow op among many.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLatencyHistogram, summarizeLatency } from './latency-histogram';
import { performanceClockUs, runClosedLane, runOpenLane, type LaneRecorder } from './load-lanes';
import { createOutcomeCounts, outcomeTotal } from './outcome';
import { FakeConnection } from './target-fake';
import type { TargetConnection } from './target-connection';
import type { WorkloadDriver } from './workload';

const stallMs = 200;
const stallAtOp = 300;

function stallingConnection(): FakeConnection {
  return new FakeConnection({ keys: 1, preloaded: true, answerDelayMs: (opIndex) => (opIndex === stallAtOp ? stallMs : 0) });
}

const getDriver: WorkloadDriver = { opsGet: 0, opsPut: 0, issue: (connection: TargetConnection) => connection.get(0) };

function recorder(): LaneRecorder {
  return { latency: createLatencyHistogram(), service: createLatencyHistogram(), counts: createOutcomeCounts() };
}

test('open loop: a 200 ms stall shows in p90 and p99; the uncorrected service time hides it', async () => {
  const lane = recorder();
  const startUs = performanceClockUs();
  // 1000 ops/s for 1 s, one op in flight: the ~200 ops due during the stall wait for it.
  await runOpenLane(stallingConnection(), getDriver, { pipeline: 1, startUs, deadlineUs: startUs + 1_000_000, opsMax: 2_000, intervalUs: 1_000 }, lane);
  const corrected = summarizeLatency(lane.latency);
  const naive = summarizeLatency(lane.service);
  const ops = outcomeTotal(lane.counts);
  assert.ok(ops >= 950 && ops <= 1_000, `ops ${ops}`);
  assert.equal(lane.counts.error, 0);
  assert.ok(corrected.max >= stallMs * 1000 * 0.95, `corrected max ${corrected.max}`);
  assert.ok(corrected.p99 >= 150_000, `corrected p99 ${corrected.p99} µs should reflect the stall`);
  assert.ok(corrected.p90 >= 50_000, `corrected p90 ${corrected.p90} µs should reflect the stall`);
  assert.ok(naive.max >= stallMs * 1000 * 0.95, `the stall itself is seen once: ${naive.max}`);
  assert.ok(naive.p99 < 20_000, `naive p99 ${naive.p99} µs should not reflect the stall`);
});

test('closed loop: the same stall is one slow op, invisible at p99 (why open loop exists)', async () => {
  const lane = recorder();
  const startUs = performanceClockUs();
  await runClosedLane(stallingConnection(), getDriver, { pipeline: 1, startUs, deadlineUs: startUs + 500_000, opsMax: 200_000 }, lane);
  const naive = summarizeLatency(lane.latency);
  assert.ok(outcomeTotal(lane.counts) > stallAtOp);
  assert.ok(naive.max >= stallMs * 1000 * 0.95, `max ${naive.max}`);
  assert.ok(naive.p99 < 20_000, `closed-loop p99 ${naive.p99}`);
});

test('lanes stop at opsMax and count ops that never answer as errors', async () => {
  const hanging: TargetConnection = { get: () => new Promise<number>(() => undefined), put: () => Promise.resolve(0), close: async () => undefined };
  const lane = recorder();
  const startUs = performanceClockUs();
  // Deadline 1 ms away: the drain allowance is what ends this lane.
  const started = performance.now();
  await runClosedLane(hanging, getDriver, { pipeline: 4, startUs, deadlineUs: startUs + 1_000, opsMax: 10, drainMs: 100 }, lane);
  assert.equal(lane.counts.error, 4);
  assert.ok(performance.now() - started < 2_000);
  const bounded = recorder();
  const boundedStartUs = performanceClockUs();
  await runClosedLane(stallingConnection(), getDriver, { pipeline: 2, startUs: boundedStartUs, deadlineUs: boundedStartUs + 10_000_000, opsMax: 50 }, bounded);
  assert.equal(outcomeTotal(bounded.counts), 50);
});
