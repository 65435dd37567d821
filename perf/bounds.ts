// Every bound the harness enforces, in one place. Options outside these are rejected when parsed,
// so no load loop, queue or table below can grow without limit.

/** Connections (WebSockets or Redis connections) across all generator threads. */
export const connectionsMax = 10_000;
/** Requests in flight on one connection. */
export const pipelineMax = 1024;
/** Generator worker threads. */
export const threadsMax = 64;
/** Seconds of one measured run (and of its warm-up). */
export const durationSecMax = 600;
/** Keys in a preloaded keyspace: the Zipfian table holds one float per key (32 MiB at most). */
export const keysMax = 1 << 22;
/** Bytes of one value. */
export const valueBytesMax = 1024 * 1024;
/** Offered load in open loop, operations per second across all connections. */
export const rateMax = 10_000_000;
/** Rounds per target (runs alternate between targets, so drift hits both alike). */
export const roundsMax = 20;
/**
 * Ceiling on completions per second used to bound every loop by count as well as by time: a lane
 * stops after durationSec × this / lanes ops even if its clock says it may go on.
 */
export const opsPerSecondMax = 5_000_000;
/** After its deadline a lane waits this long for in-flight ops, then counts them as errors. */
export const drainMs = 5_000;
/** A worker that has not reported this long after its phase should have ended is a failure. */
export const workerSlackMs = 30_000;
/** Progress messages from each worker, per second. */
export const progressIntervalMs = 1_000;
/** Keys written by the fanout writer cycle through this many records. */
export const fanoutKeys = 1024;
/** In-flight puts while preloading a keyspace. */
export const preloadWindow = 256;
/** Latencies above this are clamped (and so show as the maximum): one minute in µs. */
export const latencyUsHighest = 60_000_000;
