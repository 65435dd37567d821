// Prometheus metrics (prom-client). The hot path only bumps numbers in a typed array: a labelled
// prom-client counter hashes its labels on every inc, which is too dear per op. The array is turned
// into labelled samples when /metrics is scraped, so instrumentation costs nothing when nobody looks.
// Request latency is observed once per request (not per op) into typed-array buckets
// (latency-buckets.ts): prom-client's Histogram allocates on every observe.
// The engine's figures, one metric each, are in engine-metrics.ts; durability's in
// persistence-metrics.ts; replication's in replication/replication-metrics.ts.

import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineStats, OpName } from '../../engine/layout/types';
import { Status, statusName } from '../../engine/layout/status';
import { registerEngineMetrics } from './engine-metrics';
import { assert } from '../../engine/layout/assert';
import { LatencyBuckets, latencyBucketsSec, registerLatencyHistogram } from './latency-buckets';
import type { HubStats } from './subscriptions';

export const transports = ['http', 'ws'] as const;
export type Transport = (typeof transports)[number];
export const transportIndex: Readonly<Record<Transport, number>> = { http: 0, ws: 1 };

/** Every op kind a request can carry: the engine's ops plus scan and the subscription ops. */
export const opKinds = ['get', 'head', 'put', 'delete', 'touch', 'scan', 'subscribe', 'unsubscribe', 'purge'] as const;
export type OpKindName = (typeof opKinds)[number];
export const opKindIndex: Readonly<Record<OpKindName, number>> = {
  get: 0,
  head: 1,
  put: 2,
  delete: 3,
  touch: 4,
  scan: 5,
  subscribe: 6,
  unsubscribe: 7,
  purge: 8,
};
const engineOpIndex: Readonly<Record<OpName, number>> = opKindIndex;

const statusCount = Status.Recovering + 1;
const opsStride = opKinds.length * statusCount;

export interface MetricSources {
  engineStats(): EngineStats;
  connections(): number;
  requestsInFlight(): number;
  subscriptions(): HubStats | null;
  bufferedOutputBytes(): number;
}

export interface LatencyObserver {
  observe(seconds: number): void;
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #opCounts = new Float64Array(transports.length * opsStride);
  readonly #requestFailures = new Float64Array(transports.length * statusCount);
  readonly #latency: Readonly<Record<Transport, LatencyObserver>>;

  /** defaultMetrics false: no process metrics (an I/O thread's counters, merged into the front's). */
  constructor(sources: MetricSources, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const opCounts = this.#opCounts;
    const requestFailures = this.#requestFailures;
    new Counter({
      name: 'tessera_ops_total',
      help: 'Operations answered, by transport, op and status',
      labelNames: ['transport', 'op', 'status'] as const,
      registers,
      collect(this: Counter<'transport' | 'op' | 'status'>) {
        this.reset();
        forEachNonZero(opCounts, (index, value) => {
          const transport = transports[Math.floor(index / opsStride)];
          const op = opKinds[Math.floor((index % opsStride) / statusCount)];
          this.inc({ transport, op, status: statusName(index % statusCount) }, value);
        });
      },
    });
    new Counter({
      name: 'tessera_request_failures_total',
      help: 'Requests refused as a whole (malformed, too large, busy, shutting down), by transport and status',
      labelNames: ['transport', 'status'] as const,
      registers,
      collect(this: Counter<'transport' | 'status'>) {
        this.reset();
        forEachNonZero(requestFailures, (index, value) => {
          const transport = transports[Math.floor(index / statusCount)];
          this.inc({ transport, status: statusName(index % statusCount) }, value);
        });
      },
    });
    const latency = { http: new LatencyBuckets(latencyBucketsSec), ws: new LatencyBuckets(latencyBucketsSec) };
    registerLatencyHistogram(
      this.registry,
      {
        name: 'tessera_request_duration_seconds',
        help: 'Time from a request arriving to its response being handed to the socket, by transport',
        labelName: 'transport',
      },
      latency,
    );
    this.#latency = latency;
    this.#registerGauges(sources);
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** The length of takeCounters' array: op counts, request failures, and each transport's latency slots and sum. */
  get counterSlots(): number {
    return this.#opCounts.length + this.#requestFailures.length + transports.length * (latencyBucketsSec.length + 2);
  }

  /** Moves every count and latency into `into` (counterSlots long) and resets them (an I/O thread's report). */
  takeCounters(into: Float64Array): void {
    assert(into.length === this.counterSlots, 'counters of the same layout');
    into.set(this.#opCounts, 0);
    this.#opCounts.fill(0);
    into.set(this.#requestFailures, this.#opCounts.length);
    this.#requestFailures.fill(0);
    let offset = this.#opCounts.length + this.#requestFailures.length;
    const slots = latencyBucketsSec.length + 1;
    for (const transport of transports) {
      const buckets = this.#latency[transport] as LatencyBuckets;
      into[offset + slots] = buckets.takeSlots(into.subarray(offset, offset + slots));
      offset += slots + 1;
    }
  }

  /** Adds what another thread's takeCounters took (same layout). */
  addCounters(from: Float64Array): void {
    assert(from.length === this.counterSlots, 'counters of the same layout');
    for (let index = 0; index < this.#opCounts.length; index++) this.#opCounts[index] = (this.#opCounts[index] as number) + (from[index] as number);
    let offset = this.#opCounts.length;
    for (let index = 0; index < this.#requestFailures.length; index++) this.#requestFailures[index] = (this.#requestFailures[index] as number) + (from[offset + index] as number);
    offset += this.#requestFailures.length;
    const slots = latencyBucketsSec.length + 1;
    for (const transport of transports) {
      (this.#latency[transport] as LatencyBuckets).addSlots(from.subarray(offset, offset + slots), from[offset + slots] as number);
      offset += slots + 1;
    }
  }

  #registerGauges(sources: MetricSources): void {
    const registers = [this.registry];
    new Gauge({
      name: 'tessera_ws_connections',
      help: 'Open WebSocket connections',
      registers,
      collect(this: Gauge) {
        this.set(sources.connections());
      },
    });
    new Gauge({
      name: 'tessera_requests_in_flight',
      help: 'Requests received and not yet answered, both transports',
      registers,
      collect(this: Gauge) {
        this.set(sources.requestsInFlight());
      },
    });
    registerEngineMetrics(this.registry, {
      engineStats: sources.engineStats,
      subscriptions: sources.subscriptions,
      bufferedOutputBytes: sources.bufferedOutputBytes,
      outOfMemoryRefusals: () => this.#statusCount(Status.OutOfMemory),
    });
  }

  /** Ops answered `status`, both transports, every op kind (read at scrape time). */
  #statusCount(status: Status): number {
    let total = 0;
    for (let transport = 0; transport < transports.length; transport++) {
      for (let op = 0; op < opKinds.length; op++) total += this.#opCounts[transport * opsStride + op * statusCount + status] ?? 0;
    }
    return total;
  }

  countOp(transport: number, op: OpName, status: Status): void {
    bump(this.#opCounts, transport * opsStride + engineOpIndex[op] * statusCount + status);
  }

  countOpKind(transport: number, opKind: number, status: Status): void {
    bump(this.#opCounts, transport * opsStride + opKind * statusCount + status);
  }

  countRequestFailure(transport: number, status: Status): void {
    bump(this.#requestFailures, transport * statusCount + status);
  }

  latency(transport: Transport): LatencyObserver {
    return this.#latency[transport];
  }

  /** The Prometheus text exposition; its content type is `contentType`. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

function bump(counts: Float64Array, index: number): void {
  counts[index] = (counts[index] as number) + 1;
}

function forEachNonZero(counts: Float64Array, visit: (index: number, value: number) => void): void {
  for (let index = 0; index < counts.length; index++) {
    const value = counts[index] ?? 0;
    if (value !== 0) visit(index, value);
  }
}
