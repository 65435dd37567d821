import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { LatencyBuckets, registerLatencyHistogram } from './latency-buckets';

const bounds = [0.001, 0.01, 0.1];

test('observe counts each value in the first bucket whose bound it does not pass; cumulative sums them', () => {
  const buckets = new LatencyBuckets(bounds);
  for (const seconds of [0, 0.0005, 0.001, 0.002, 0.05, 0.1, 3, -1]) buckets.observe(seconds);
  assert.equal(buckets.count, 8);
  // le=0.001: 0, 0.0005, 0.001 and the negative one (counted as 0); le=0.01: + 0.002; le=0.1: + 0.05, 0.1.
  assert.deepEqual([0, 1, 2, 3].map((index) => buckets.cumulative(index)), [4, 5, 7, 8]);
  assert.ok(Math.abs(buckets.sum - 3.1535) < 1e-12);
  buckets.reset();
  assert.equal(buckets.count, 0);
  assert.equal(buckets.cumulative(3), 0);
});

test('bounds must ascend', () => {
  assert.throws(() => new LatencyBuckets([0.1, 0.01]), /ascend/);
  assert.throws(() => new LatencyBuckets([]), /at least one/);
});

test('the exposition is line for line what prom-client Histogram writes for the same observations', async () => {
  const ours = new Registry();
  const series = { http: new LatencyBuckets(bounds), ws: new LatencyBuckets(bounds) };
  registerLatencyHistogram(ours, { name: 'x_seconds', help: 'the help', labelName: 'transport' }, series);
  const theirs = new Registry();
  const histogram = new Histogram({ name: 'x_seconds', help: 'the help', labelNames: ['transport'] as const, buckets: bounds, registers: [theirs] });
  const observations: [keyof typeof series, number][] = [['http', 0.0002], ['http', 0.02], ['ws', 0.5], ['ws', 0.001], ['http', 0.25]];
  for (const [transport, seconds] of observations) {
    series[transport].observe(seconds);
    histogram.labels({ transport }).observe(seconds);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  const json = await ours.getMetricsAsJSON();
  assert.equal(json.length, 1);
  assert.equal(json[0]?.type, 'histogram');
});
