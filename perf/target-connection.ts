// The one interface the load lanes drive. Each target (Tessera, Redis, the in-process fake) adapts
// its client to it, so every target sees the same generator, workload and concurrency.
//
// Methods never reject: a failure resolves to a negative outcome code (outcome.ts), so the lanes
// need no try/catch per op and an error cannot stop a lane early.

export type TargetName = 'tessera' | 'redis' | 'fake';
export const targetNames: readonly TargetName[] = ['tessera', 'redis', 'fake'];

export type LoadWorkloadName = 'cdn' | 'cms' | 'fanout';

export interface TargetEndpoint {
  name: TargetName;
  host: string;
  port: number;
  /** Tessera namespace holding the keyspace. */
  namespace: string;
  /** Redis: WAIT for this many replicas (timeout 0) after each write (perf/replication-bench.ts). */
  waitReplicas?: number;
  /**
   * The client's auto-pipelining (the calls of one event-loop turn in one frame or write): ioredis's
   * enableAutoPipelining, the Tessera client's autoPipelining. Absent: each client's default
   * (Tessera on, ioredis off).
   */
  autoPipelining?: boolean;
}

export interface ConnectionSetup {
  endpoint: TargetEndpoint;
  workload: LoadWorkloadName;
  keyNames: readonly string[];
  /** The value every put writes (preallocated: no per-op allocation). */
  value: Uint8Array;
}

export interface FanoutSubscription {
  close(): Promise<void>;
}

export interface TargetConnection {
  /** Resolves to the record's generation (0 if the target keeps none) or a negative outcome. */
  get(keyIndex: number): Promise<number>;
  /** ifGeneration 0 means unconditional. Resolves to the new generation or a negative outcome. */
  put(keyIndex: number, ifGeneration: number): Promise<number>;
  /** Fanout writer: writes one change whose subscribers receive `payload`. Absent if unsupported. */
  publish?(payload: Uint8Array): Promise<number>;
  /** Fanout reader: calls onPayload for each delivered change. Absent if unsupported. */
  subscribe?(onPayload: (payload: Uint8Array) => void): Promise<FanoutSubscription>;
  close(): Promise<void>;
}
