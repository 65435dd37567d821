// The Zipfian sampler against the theoretical rank-frequency law, with a fixed seed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../engine/layout/seeded-random';
import { ZipfSampler } from './zipf';

/** P(rank r) = (1/(r+1)^s) / Σ 1/(k+1)^s, computed here independently of the sampler's table. */
function theoretical(count: number, exponent: number): number[] {
  const weights = Array.from({ length: count }, (_, rank) => 1 / Math.pow(rank + 1, exponent));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return weights.map((weight) => weight / total);
}

/** Bins: the first 50 ranks one by one, then ranges doubling in width (expected counts stay large). */
function binEdges(count: number): number[] {
  const edges = [];
  for (let rank = 0; rank < Math.min(50, count); rank++) edges.push(rank);
  for (let width = 8, start = 50; start < count; start += width, width *= 2) edges.push(start);
  edges.push(count);
  return edges;
}

function chiSquare(observed: readonly number[], probabilities: readonly number[], samples: number, edges: readonly number[]): { statistic: number; degrees: number } {
  let statistic = 0;
  for (let bin = 0; bin + 1 < edges.length; bin++) {
    let seen = 0;
    let probability = 0;
    for (let rank = edges[bin] ?? 0; rank < (edges[bin + 1] ?? 0); rank++) {
      seen += observed[rank] ?? 0;
      probability += probabilities[rank] ?? 0;
    }
    const expected = probability * samples;
    assert.ok(expected >= 5, `bin ${bin} expects ${expected} < 5 samples: widen the bins`);
    statistic += ((seen - expected) * (seen - expected)) / expected;
  }
  return { statistic, degrees: edges.length - 2 };
}

for (const exponent of [0.99, 0.5, 0]) {
  test(`zipf s=${exponent}: rank frequencies match the theoretical law (chi-square, seed 42)`, () => {
    const count = 1000;
    const samples = 200_000;
    const sampler = new ZipfSampler(count, exponent);
    const random = new SeededRandom(42);
    const observed = new Array<number>(count).fill(0);
    for (let draw = 0; draw < samples; draw++) {
      const rank = sampler.sample(random);
      assert.ok(Number.isInteger(rank) && rank >= 0 && rank < count, `rank out of range: ${rank}`);
      observed[rank] = (observed[rank] ?? 0) + 1;
    }
    const probabilities = theoretical(count, exponent);
    const { statistic, degrees } = chiSquare(observed, probabilities, samples, binEdges(count));
    // Mean df, standard deviation sqrt(2 df): a 5-sigma bound fails only on a real deviation.
    const bound = degrees + 5 * Math.sqrt(2 * degrees);
    assert.ok(statistic < bound, `chi-square ${statistic.toFixed(1)} >= ${bound.toFixed(1)} (df ${degrees})`);
    const topShare = (observed[0] ?? 0) / samples;
    assert.ok(Math.abs(topShare - (probabilities[0] ?? 0)) < 0.01, `rank 0 share ${topShare} vs ${probabilities[0]}`);
    for (const rank of [0, 1, 10, 999]) assert.ok(Math.abs(sampler.probability(rank) - (probabilities[rank] ?? 0)) < 1e-12);
  });
}

test('zipf s=0.99 is skewed: the top 1 % of keys take a large share of draws', () => {
  const sampler = new ZipfSampler(100_000, 0.99);
  const random = new SeededRandom(7);
  let top = 0;
  const samples = 100_000;
  for (let draw = 0; draw < samples; draw++) if (sampler.sample(random) < 1000) top++;
  // Theory: H(1000, .99) / H(100000, .99) ≈ 0.62.
  assert.ok(top / samples > 0.55 && top / samples < 0.7, `top 1 % share ${top / samples}`);
});

test('zipf rejects bad arguments', () => {
  assert.throws(() => new ZipfSampler(0, 0.99), RangeError);
  assert.throws(() => new ZipfSampler(10, -1), RangeError);
  assert.throws(() => new ZipfSampler(10, Number.NaN), RangeError);
  assert.throws(() => new ZipfSampler(10, 0.99).probability(10), RangeError);
});

test('the same seed gives the same sequence', () => {
  const sampler = new ZipfSampler(1000, 0.99);
  const first = new SeededRandom(3);
  const second = new SeededRandom(3);
  for (let draw = 0; draw < 1000; draw++) assert.equal(sampler.sample(first), sampler.sample(second));
});
