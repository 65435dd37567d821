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

  constructor(sources: MetricSources) {
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
    collectDefaultMetrics({ register: this.registry });
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

  /** Ops an I/O thread answered itself (io-threads/local-reads.ts), counted there and reported. */
  countOpKindBy(transport: number, opKind: number, status: Status, count: number): void {
    const slot = transport * opsStride + opKind * statusCount + status;
    this.#opCounts[slot] = (this.#opCounts[slot] as number) + count;
  }

  /** Latencies an I/O thread observed into its own buckets of these bounds (latencyBucketsSec). */
  addLatencySlots(transport: Transport, slots: ArrayLike<number>, sum: number): void {
    (this.#latency[transport] as LatencyBuckets).addSlots(slots, sum);
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
