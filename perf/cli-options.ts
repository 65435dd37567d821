// Command-line flags of `npm run bench`, parsed and checked against bounds.ts. Every option has a
// default; the defaults are the standard comparison and keep a run under three minutes.

import { parseArgs } from 'node:util';
import { connectionsMax, durationSecMax, keysMax, pipelineMax, rateMax, roundsMax, threadsMax, valueBytesMax } from './bounds';
import { targetNames, type LoadWorkloadName, type TargetName } from './target-connection';

export interface BenchOptions {
  workloads: LoadWorkloadName[];
  targets: TargetName[];
  connections: number;
  pipeline: number;
  threads: number;
  durationSec: number;
  warmupSec: number;
  rounds: number;
  /** Open loop: total ops/s offered. 0 = closed loop. */
  rate: number;
  /** null = the workload's default (workloadValueSize). */
  valueSize: number | null;
  keys: number;
  zipfExponent: number;
  seed: number;
  namespace: string;
  fanoutRate: number;
  cClients: boolean;
  jsonPath: string | null;
  htmlPath: string | null;
  tesseraBin: string | null;
  /**
   * Persistence on both sides: 'off' runs Tessera with --no-persistence and Redis with
   * appendonly no; always/everysec/never give Tessera a fresh data dir with that --fsync and Redis
   * appendonly yes with the same appendfsync, so each figure compares like with like.
   */
  fsync: FsyncPolicy;
  /** Tessera's I/O threads (serve --io-threads N); null = the server's default. */
  ioThreads: number | null;
  /**
   * Auto-pipelining on both sides, each setting run as its own pair of rows: true = ioredis
   * enableAutoPipelining against the Tessera client's autoPipelining, false = both off (one
   * write or frame per call). Fanout runs with the first setting only.
   */
  autoPipelining: boolean[];
  /** The access-cost mode (perf/access-cost.ts) instead of the workloads: token and TLS against plain. */
  access: boolean;
  help: boolean;
}

export const autoPipeliningModes = ['both', 'on', 'off'] as const;

export const fsyncPolicies = ['off', 'always', 'everysec', 'never'] as const;
export type FsyncPolicy = (typeof fsyncPolicies)[number];

export const workloadNames: readonly LoadWorkloadName[] = ['cdn', 'cms', 'fanout'];

export const workloadValueSize: Record<LoadWorkloadName, number> = { cdn: 1024, cms: 4096, fanout: 16 };

export const usage = `usage: node dist/perf/bench.js [flags]
  --workload cdn|cms|fanout[,…]   workloads to run (default cdn)
  --targets tessera,redis[,fake]  targets, alternated round by round (default tessera,redis)
  --connections N                 connections (default 50)
  --pipeline N                    requests in flight per connection (default 1)
  --threads N                     generator worker threads (default 2)
  --duration SEC                  measured seconds per round (default 8)
  --warmup SEC                    unmeasured seconds before each round (default 1)
  --rounds N                      rounds per target, alternating targets (default 2)
  --rate OPS                      open loop at OPS ops/s in total (default: closed loop)
  --value-size BYTES              value size (default cdn 1024, cms 4096)
  --keys N                        preloaded keyspace (default 100000)
  --zipf S                        Zipfian exponent (default 0.99)
  --seed N                        random seed (default 1)
  --ns NAME                       Tessera namespace (default content)
  --fanout-rate N                 fanout writes/s (default 200)
  --no-c-clients                  skip redis-benchmark and wrk
  --json FILE  --html FILE        report paths (default perf/results/bench-<time>.json/.html)
  --tessera-bin FILE              server script to start instead of dist/bin/tessera.js
  --fsync off|always|everysec|never
                                  persistence on both sides (default off): Tessera --fsync with a
                                  fresh data dir, Redis appendonly yes with the same appendfsync
  --io-threads N                  Tessera's I/O threads (serve --io-threads; default the server's, 1)
  --auto-pipelining on|off|both   the clients' auto-pipelining, the same on both sides (default both):
                                  on = ioredis enableAutoPipelining and the Tessera client's
                                  autoPipelining (one write/frame per event-loop turn), off = one
                                  write/frame per call on both; both runs each as its own rows
                                  (fanout: on only)
  --access                        the cost of access control instead of the workloads: HTTP GET
                                  (wrk) plain, with a token, with TLS + token, against Redis GET
                                  (redis-benchmark) plain, requirepass, TLS + requirepass; uses
                                  --duration, --rounds, --json (default perf/results/access-<time>.json)`;

export class UsageError extends Error {}

function integerIn(name: string, text: string | undefined, fallback: number, minimum: number, maximum: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum || value > maximum) throw new UsageError(`--${name} must be an integer in ${minimum}..${maximum}, got ${text}`);
  return value;
}

function numberIn(name: string, text: string | undefined, fallback: number, minimum: number, maximum: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < minimum || value > maximum) throw new UsageError(`--${name} must be a number in ${minimum}..${maximum}, got ${text}`);
  return value;
}

function listOf<T extends string>(name: string, text: string | undefined, allowed: readonly T[], fallback: T[]): T[] {
  if (text === undefined) return fallback;
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (items.length === 0 || unknown.length > 0) throw new UsageError(`--${name}: expected a list of ${allowed.join('|')}, got ${text}`);
  return [...new Set(items as T[])];
}

function fsyncOf(text: string | undefined): FsyncPolicy {
  if (text === undefined) return 'off';
  const policy = fsyncPolicies.find((candidate) => candidate === text);
  if (policy === undefined) throw new UsageError(`--fsync must be one of ${fsyncPolicies.join('|')}, got ${text}`);
  return policy;
}

function autoPipeliningOf(text: string | undefined): boolean[] {
  if (text === undefined || text === 'both') return [true, false];
  if (text === 'on') return [true];
  if (text === 'off') return [false];
  throw new UsageError(`--auto-pipelining must be one of ${autoPipeliningModes.join('|')}, got ${text}`);
}

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      workload: { type: 'string' }, targets: { type: 'string' }, connections: { type: 'string' }, pipeline: { type: 'string' },
      threads: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, rounds: { type: 'string' },
      rate: { type: 'string' }, 'value-size': { type: 'string' }, keys: { type: 'string' }, zipf: { type: 'string' },
      seed: { type: 'string' }, ns: { type: 'string' }, 'fanout-rate': { type: 'string' }, 'no-c-clients': { type: 'boolean' },
      json: { type: 'string' }, html: { type: 'string' }, 'tessera-bin': { type: 'string' }, fsync: { type: 'string' }, 'auto-pipelining': { type: 'string' }, 'io-threads': { type: 'string' }, access: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  const connections = integerIn('connections', values.connections, 50, 1, connectionsMax);
  const namespace = values.ns ?? 'content';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(namespace)) throw new UsageError(`--ns must be 1-64 characters of [A-Za-z0-9_.-], got ${namespace}`);
  return {
    workloads: listOf('workload', values.workload, workloadNames, ['cdn']),
    targets: listOf('targets', values.targets, targetNames, ['tessera', 'redis']),
    connections,
    pipeline: integerIn('pipeline', values.pipeline, 1, 1, pipelineMax),
    threads: Math.min(connections, integerIn('threads', values.threads, 2, 1, threadsMax)),
    durationSec: numberIn('duration', values.duration, 8, 0.1, durationSecMax),
    warmupSec: numberIn('warmup', values.warmup, 1, 0, durationSecMax),
    rounds: integerIn('rounds', values.rounds, 2, 1, roundsMax),
    rate: numberIn('rate', values.rate, 0, 1, rateMax),
    valueSize: values['value-size'] === undefined ? null : integerIn('value-size', values['value-size'], 0, 1, valueBytesMax),
    keys: integerIn('keys', values.keys, 100_000, 1, keysMax),
    zipfExponent: numberIn('zipf', values.zipf, 0.99, 0, 10),
    seed: integerIn('seed', values.seed, 1, 0, 0x7fffffff),
    namespace,
    fanoutRate: numberIn('fanout-rate', values['fanout-rate'], 200, 1, 1_000_000),
    cClients: values['no-c-clients'] !== true,
    jsonPath: values.json ?? null,
    htmlPath: values.html ?? null,
    tesseraBin: values['tessera-bin'] ?? null,
    fsync: fsyncOf(values.fsync),
    ioThreads: values['io-threads'] === undefined ? null : integerIn('io-threads', values['io-threads'], 1, 1, 64),
    autoPipelining: autoPipeliningOf(values['auto-pipelining']),
    access: values.access === true,
    help: values.help === true,
  };
}
