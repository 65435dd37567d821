// Latencies are recorded in whole microseconds into HdrHistograms (3 significant digits). Worker
// threads send theirs to the main thread in HdrHistogram's compressed encoding, where they are
// added together: percentiles cannot be averaged, histograms can.

import * as hdr from 'hdr-histogram-js';
import { latencyUsHighest } from './bounds';

export type Histogram = hdr.Histogram;

export interface LatencySummaryUs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One point of the percentile plot: x = 1 / (1 - percentile/100), as HdrHistogram's plotter draws it. */
export interface PercentilePoint {
  percentile: number;
  x: number;
  latencyUs: number;
}

export function createLatencyHistogram(): Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: latencyUsHighest,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
}

/** Records one latency; sub-microsecond values count as 1 µs, values past the range as the range. */
export function recordLatencyUs(histogram: Histogram, latencyUs: number): void {
  const rounded = Math.round(latencyUs);
  histogram.recordValue(rounded < 1 ? 1 : rounded > latencyUsHighest ? latencyUsHighest : rounded);
}

export function summarizeLatency(histogram: Histogram): LatencySummaryUs {
  if (histogram.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    p50: histogram.getValueAtPercentile(50),
    p90: histogram.getValueAtPercentile(90),
    p99: histogram.getValueAtPercentile(99),
    p999: histogram.getValueAtPercentile(99.9),
    max: histogram.maxValue,
  };
}

export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** Adds encoded worker histograms into one. */
export function mergeEncodedHistograms(encoded: readonly string[]): Histogram {
  const total = createLatencyHistogram();
  for (const text of encoded) {
    const part = hdr.decodeFromCompressedBase64(text);
    total.add(part);
    part.destroy();
  }
  return total;
}

/**
 * Percentile curve for the plot: pointsPerDecade points per factor of ten in 1/(1-p), up to the
 * resolution the sample count supports, then the maximum at x = count.
 */
export function percentileCurve(histogram: Histogram, pointsPerDecade = 12): PercentilePoint[] {
  const count = histogram.totalCount;
  if (count === 0) return [];
  const points: PercentilePoint[] = [];
  const decadesMax = Math.log10(count);
  const stepsMax = Math.floor(decadesMax * pointsPerDecade);
  for (let step = 0; step <= stepsMax; step++) {
    const x = Math.pow(10, step / pointsPerDecade);
    const percentile = 100 * (1 - 1 / x);
    points.push({ percentile, x, latencyUs: histogram.getValueAtPercentile(percentile) });
  }
  points.push({ percentile: 100, x: Math.max(count, 1), latencyUs: histogram.maxValue });
  return points;
}
