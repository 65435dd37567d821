// A request-latency histogram whose observe() allocates nothing. prom-client's Histogram (even a
// pre-bound labels() child) builds a labels object and a hash string on every observe and looks the
// series up in a map: measurable per request on the WebSocket and HTTP hot paths. Here a request
// bumps one slot of a Float64Array; the Prometheus series (`_bucket` with `le`, `_sum`, `_count`,
// cumulative as the exposition format wants them) are built only when /metrics is scraped, through
// the registry's public registerMetric() with the same { name, help, type, values } shape that
// prom-client's own metrics return from get().

import type { Registry } from 'prom-client';
import { assert } from '../../engine/layout/assert';

/** Seconds; from 50 µs (a pipelined get) to 2.5 s (something is wrong). */
export const latencyBucketsSec = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class LatencyBuckets {
  /** Upper bounds in seconds, ascending; the last slot of #counts is +Inf. */
  readonly bounds: readonly number[];
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    assert(bounds.length > 0, 'latency buckets need at least one bound');
    for (let index = 1; index < bounds.length; index++) {
      assert((bounds[index] as number) > (bounds[index - 1] as number), 'latency bucket bounds must ascend');
    }
    this.bounds = bounds;
    this.#counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    // A clock that steps back can give a negative duration: count it in the first bucket, never NaN.
    const value = seconds > 0 ? seconds : 0;
    const bounds = this.bounds;
    let slot = 0;
    while (slot < bounds.length && value > (bounds[slot] as number)) slot++;
    this.#counts[slot] = (this.#counts[slot] as number) + 1;
    this.#sum += value;
    this.#count += 1;
  }

  get count(): number {
    return this.#count;
  }

  get sum(): number {
    return this.#sum;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }

  /** Moves this histogram's observations into `into` (another thread's, as counts and a sum) and resets it. */
  takeSlots(into: Float64Array): number {
    assert(into.length === this.#counts.length, 'latency slots of the same bounds');
    into.set(this.#counts);
    const sum = this.#sum;
    this.reset();
    return sum;
  }

  /** Adds observations taken from a histogram of the same bounds (takeSlots). */
  addSlots(slots: ArrayLike<number>, sum: number): void {
    assert(slots.length === this.#counts.length, 'latency slots of the same bounds');
    for (let slot = 0; slot < slots.length; slot++) {
      const count = slots[slot] as number;
      this.#counts[slot] = (this.#counts[slot] as number) + count;
      this.#count += count;
    }
    this.#sum += sum;
  }

  /** Observations at or below bounds[index] (index === bounds.length: all of them). */
  cumulative(index: number): number {
    let total = 0;
    for (let slot = 0; slot <= index; slot++) total += this.#counts[slot] as number;
    return total;
  }
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

/**
 * Registers one Prometheus histogram whose series are the given LatencyBuckets, one per value of
 * the label `labelName` (all with the same bounds).
 */
export function registerLatencyHistogram(
  registry: Registry,
  spec: { name: string; help: string; labelName: string },
  series: Readonly<Record<string, LatencyBuckets>>,
): void {
  const { name, help, labelName } = spec;
  const get = async (): Promise<{ name: string; help: string; type: 'histogram'; values: MetricValue[]; aggregator: 'sum' }> => {
    const values: MetricValue[] = [];
    for (const [labelValue, buckets] of Object.entries(series)) {
      for (let index = 0; index < buckets.bounds.length; index++) {
        values.push({ value: buckets.cumulative(index), labels: { le: buckets.bounds[index] as number, [labelName]: labelValue }, metricName: `${name}_bucket` });
      }
      values.push({ value: buckets.count, labels: { le: '+Inf', [labelName]: labelValue }, metricName: `${name}_bucket` });
      values.push({ value: buckets.sum, labels: { [labelName]: labelValue }, metricName: `${name}_sum` });
      values.push({ value: buckets.count, labels: { [labelName]: labelValue }, metricName: `${name}_count` });
    }
    return { name, help, type: 'histogram', values, aggregator: 'sum' };
  };
  // registerMetric's parameter is typed as prom-client's Metric class; the registry itself only
  // reads name, help, type and get() (registry.js getMetricsAsString / getMetricsAsJSON).
  const reset = (): void => {
    for (const buckets of Object.values(series)) buckets.reset();
  };
  registry.registerMetric({ name, help, type: 'histogram', aggregator: 'sum', get, reset } as unknown as Parameters<Registry['registerMetric']>[0]);
}
