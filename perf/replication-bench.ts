// `npm run bench:replication`: what replication costs (issue 12), in one run on this machine.
//
//   1. Lag: a primary and a replica (real processes, data dirs), the cdn and then the cms workload
//      at the highest rate the primary sustains (closed loop); the primary's /status is sampled
//      every 100 ms for the replica's lag in LSNs and in ms (age of the oldest change it has not
//      acknowledged). p50 / p99 of the samples.
//   2. Cost of acks: cms throughput and latency on namespaces acked `memory`, `disk` and `replica`
//      (fsync always on both nodes), beside Redis with appendfsync always and a replica, sending
//      `WAIT 1 0` after each write (pipelined behind it: one round trip). Rounds alternate the order.
//   3. Full sync: a primary holding --sync-records records (1,000,000 by default), a new replica
//      started: the time until it has applied everything, and the primary's latency (cdn, open loop
//      at a light rate) before and while the sync runs.
//
// Prints a table, writes perf/results/replication-<time>.json. Bounded: every phase has a duration.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { OutputTail, spawnTracked, stopTracked } from './child-processes';
import { freePort } from './free-port';
import { createGenerationMemory, type GenerationMemory } from './generation-memory';
import { valueBytes } from './keys';
import { createLatencyHistogram, summarizeLatency, type Histogram } from './latency-histogram';
import { runLoad, type LoadRunPlan } from './load-run';
import { preloadRedis, preloadTessera } from './preload';
import { startRedis } from './redis-server';
import { defaultReportPath, writeReportFile } from './report-files';
import { serverHost, waitUntilReady, type RunningServer } from './running-server';
import type { LoadWorkloadName, TargetEndpoint } from './target-connection';
import { httpStatusOk, tesseraServerScript } from './tessera-server';

interface Options {
  durationSec: number;
  rounds: number;
  keys: number;
  connections: number;
  syncRecords: number;
  skip: Set<string>;
}

function parseOptions(argv: readonly string[]): Options {
  const options: Options = { durationSec: 6, rounds: 3, keys: 20_000, connections: 16, syncRecords: 1_000_000, skip: new Set() };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index]!;
    const value = Number(argv[index + 1]);
    if (flag === '--skip') options.skip = new Set((argv[++index] ?? '').split(','));
    else if (flag === '--duration') (options.durationSec = value), index++;
    else if (flag === '--rounds') (options.rounds = value), index++;
    else if (flag === '--keys') (options.keys = value), index++;
    else if (flag === '--connections') (options.connections = value), index++;
    else if (flag === '--sync-records') (options.syncRecords = value), index++;
    else throw new Error(`unknown flag ${flag}: --duration SEC --rounds N --keys N --connections N --sync-records N --skip lag,acks,sync`);
  }
  if (!(options.durationSec > 0 && options.durationSec <= 60 && options.rounds >= 1 && options.rounds <= 10 && options.syncRecords >= 1 && options.syncRecords <= 4_000_000)) throw new Error('out of range');
  return options;
}

// ---- Tessera nodes ----

interface Node extends RunningServer {
  child: ChildProcess;
}

const namespaces = [
  { name: 'mem', ack: 'memory', maxValueBytes: 64 * 1024 },
  { name: 'disk', ack: 'disk', maxValueBytes: 64 * 1024 },
  { name: 'repl', ack: 'replica', maxValueBytes: 64 * 1024 },
];

async function startNode(name: string, fsync: string, replicaOf: string | null): Promise<Node> {
  const port = await freePort();
  const folder = mkdtempSync(path.join(tmpdir(), `tessera-repl-bench-${name}-`));
  const config = {
    host: serverHost,
    port,
    logLevel: 'warn',
    persistence: { dataDir: path.join(folder, 'data'), fsync, snapshotIntervalSec: 0, walSegmentBytes: 64 * 1024 * 1024 },
    engine: { namespaces, minReplicas: 1, replicaAckTimeoutMs: 10_000 },
    ...(replicaOf === null ? {} : { replicaOf }),
  };
  const configPath = path.join(folder, 'config.json');
  writeFileSync(configPath, JSON.stringify(config));
  const child = spawnTracked(process.execPath, [tesseraServerScript, 'serve', '--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = new OutputTail();
  child.stdout?.on('data', (chunk: Buffer) => tail.append(chunk));
  child.stderr?.on('data', (chunk: Buffer) => tail.append(chunk));
  const stop = async (): Promise<void> => {
    await stopTracked(child);
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(name, () => httpStatusOk(port, '/status'), () => (child.exitCode === null && child.signalCode === null ? null : tail.toString()), 600, 100);
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { name: 'tessera', host: serverHost, port, pid: child.pid ?? 0, stop, child };
}

async function replication(port: number): Promise<Record<string, unknown>> {
  const response = await fetch(`http://${serverHost}:${port}/status`);
  return ((await response.json()) as { replication: Record<string, unknown> }).replication;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 1_000_000; attempt++) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ---- lag sampling ----

class LagSampler {
  readonly lsns: number[] = [];
  readonly ms: number[] = [];
  #timer: NodeJS.Timeout | null = null;

  start(primaryPort: number): void {
    this.#timer = setInterval(() => {
      replication(primaryPort).then((view) => {
        const replica = (view['replicas'] as Record<string, unknown>[] | undefined)?.[0];
        if (replica === undefined) return;
        this.lsns.push(Number(replica['lagLsn'] ?? 0));
        if (typeof replica['lagMs'] === 'number') this.ms.push(replica['lagMs']);
      }, () => undefined);
    }, 100);
  }

  stop(): { samples: number; lsnP50: number; lsnP99: number; msP50: number; msP99: number } {
    if (this.#timer !== null) clearInterval(this.#timer);
    return { samples: this.lsns.length, lsnP50: percentile(this.lsns, 50), lsnP99: percentile(this.lsns, 99), msP50: percentile(this.ms, 50), msP99: percentile(this.ms, 99) };
  }
}

function percentile(values: readonly number[], at: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.ceil((at / 100) * sorted.length) - 1)]!;
}

// ---- load ----

function plan(endpoint: TargetEndpoint, workload: LoadWorkloadName, options: Options, extra: Partial<LoadRunPlan>): LoadRunPlan {
  return {
    endpoint, workload, connections: options.connections, threads: 2, pipeline: 1, rate: 0, keys: options.keys,
    valueSize: workload === 'cms' ? 4096 : 1024, zipfExponent: 0.99, seed: 1, warmupMs: 1000, durationMs: options.durationSec * 1000,
    fanoutRate: 0, fanoutGraceMs: 0, serverPid: null, generations: null, ...extra,
  };
}

interface Row {
  name: string;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  errors: number;
  serverCpuUsPerOp: number | null;
}

function rowOf(name: string, results: { latency: Histogram; ops: number; ms: number; errors: number; cpuUs: number }[]): Row {
  const latency = createLatencyHistogram();
  let ops = 0;
  let ms = 0;
  let errors = 0;
  let cpuUs = 0;
  for (const result of results) {
    latency.add(result.latency);
    ops += result.ops;
    ms += result.ms;
    errors += result.errors;
    cpuUs += result.cpuUs;
  }
  const summary = summarizeLatency(latency);
  return { name, opsPerSec: Math.round(ops / (ms / 1000)), p50Us: summary.p50, p99Us: summary.p99, errors, serverCpuUsPerOp: ops > 0 ? Math.round((cpuUs / ops) * 10) / 10 : null };
}

async function measured(loadPlan: LoadRunPlan): Promise<{ latency: Histogram; ops: number; ms: number; errors: number; cpuUs: number }> {
  const result = await runLoad(loadPlan, () => undefined);
  return { latency: result.latency, ops: result.opsGet + result.opsPut, ms: result.measuredMs, errors: result.counts.error, cpuUs: result.serverCpuUs ?? 0 };
}

// ---- phases ----

async function lagAndAcks(options: Options, report: Record<string, unknown>, log: (line: string) => void): Promise<void> {
  const primary = await startNode('primary', 'always', null);
  const replica = await startNode('replica', 'always', `ws://${serverHost}:${primary.port}/v1/ws`).catch(async (error: unknown) => {
    await primary.stop();
    throw error;
  });
  let redis: RunningServer | null = null;
  let redisReplica: RunningServer | null = null;
  try {
    await waitFor('the replica to connect', 30_000, async () => (await replication(replica.port))['connected'] === true);
    const endpoint = (namespace: string): TargetEndpoint => ({ name: 'tessera', host: serverHost, port: primary.port, namespace });
    const lag: Record<string, unknown> = {};
    if (!options.skip.has('lag')) {
      for (const workload of ['cdn', 'cms'] as const) {
        const generations = createGenerationMemory(options.keys);
        await preloadTessera(primary, 'mem', workload, options.keys, valueBytes(workload === 'cms' ? 4096 : 1024, 1), generations);
        await waitFor('the replica to catch up', 60_000, async () => Number((await replication(replica.port))['appliedLsn']) >= Number((await replication(primary.port))['lastLsn']));
        const sampler = new LagSampler();
        sampler.start(primary.port);
        const result = await measured(plan(endpoint('mem'), workload, options, { serverPid: primary.pid, generations }));
        const figures = { ...sampler.stop(), ...rowOf(`tessera ${workload} ack memory`, [result]) };
        lag[workload] = figures;
        log(`lag under ${workload}: ${JSON.stringify(figures)}`);
      }
    }
    report['lag'] = lag;
    if (options.skip.has('acks')) return;
    redis = await startRedis(log, 'always');
    redisReplica = await startRedis(log, 'always', ['--replicaof', serverHost, String(redis.port)]);
    const redisPort = redis.port;
    await waitFor('the Redis replica to sync', 30_000, async () => {
      const { createRedisClient } = await import('./target-redis');
      const client = createRedisClient(serverHost, redisPort);
      try {
        await client.connect();
        return (await client.info('replication')).includes('connected_slaves:1') && (await client.info('replication')).includes('state=online');
      } finally {
        client.disconnect();
      }
    });
    const targets: { name: string; endpoint: TargetEndpoint; pid: number; server: RunningServer }[] = [
      { name: 'tessera cms ack memory', endpoint: endpoint('mem'), pid: primary.pid, server: primary },
      { name: 'tessera cms ack disk', endpoint: endpoint('disk'), pid: primary.pid, server: primary },
      { name: 'tessera cms ack replica', endpoint: endpoint('repl'), pid: primary.pid, server: primary },
      { name: 'redis cms appendfsync always + WAIT 1 0', endpoint: { name: 'redis', host: serverHost, port: redis.port, namespace: 'mem', waitReplicas: 1 }, pid: redis.pid, server: redis },
    ];
    const memories = new Map<string, GenerationMemory>();
    const value = valueBytes(4096, 1);
    for (const target of targets) {
      const generations = createGenerationMemory(options.keys);
      memories.set(target.name, generations);
      if (target.endpoint.name === 'redis') await preloadRedis(target.server, 'cms', options.keys, value, generations);
      else await preloadTessera(target.server, target.endpoint.namespace, 'cms', options.keys, value, generations);
    }
    const results = new Map<string, Awaited<ReturnType<typeof measured>>[]>();
    const lagDuringAcks: Record<string, ReturnType<LagSampler['stop']>[]> = {};
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const sampler = new LagSampler();
        if (target.endpoint.name === 'tessera') sampler.start(primary.port);
        const result = await measured(plan(target.endpoint, 'cms', options, { serverPid: target.pid, generations: memories.get(target.name) ?? null }));
        const lagFigures = sampler.stop();
        if (target.endpoint.name === 'tessera') (lagDuringAcks[target.name] ??= []).push(lagFigures);
        results.set(target.name, [...(results.get(target.name) ?? []), result]);
        log(`round ${round + 1} ${target.name}: ${JSON.stringify(rowOf(target.name, [result]))}`);
      }
    }
    report['acks'] = targets.map((target) => ({
      ...rowOf(target.name, results.get(target.name) ?? []),
      perRound: (results.get(target.name) ?? []).map((result) => rowOf(target.name, [result])),
    }));
    report['lagDuringAcks'] = lagDuringAcks;
  } finally {
    await Promise.allSettled([replica.stop(), redisReplica?.stop()]);
    await Promise.allSettled([primary.stop(), redis?.stop()]);
  }
}

async function fullSync(options: Options, report: Record<string, unknown>, log: (line: string) => void): Promise<void> {
  const primary = await startNode('sync-primary', 'never', null);
  let replica: Node | null = null;
  try {
    const records = options.syncRecords;
    const loadStarted = performance.now();
    await preloadTessera(primary, 'mem', 'cdn', records, valueBytes(100, 1), createGenerationMemory(records));
    log(`full sync: ${records} records preloaded in ${Math.round(performance.now() - loadStarted)} ms`);
    // A light open-loop load on the primary: its latency before and while the sync runs.
    const light = (durationMs: number): LoadRunPlan => plan({ name: 'tessera', host: serverHost, port: primary.port, namespace: 'mem' }, 'cdn', { ...options, keys: Math.min(records, 100_000), connections: 8 }, { rate: 2000, warmupMs: 0, durationMs, valueSize: 100, serverPid: primary.pid });
    const before: Awaited<ReturnType<typeof measured>>[] = [];
    for (let phase = 0; phase < 3; phase++) before.push(await measured(light(1000)));
    const primaryLsn = Number((await replication(primary.port))['lastLsn']);
    const syncStarted = performance.now();
    const starting = startNode('sync-replica', 'never', `ws://${serverHost}:${primary.port}/v1/ws`).then((node) => (replica = node));
    let syncedMs = 0;
    // Polled beside the load, every 50 ms: the moment the replica holds everything.
    const poller = setInterval(() => {
      const node: Node | null = replica;
      if (node === null || syncedMs !== 0) return;
      replication(node.port).then((view) => {
        if (syncedMs === 0 && Number(view['fullSyncs']) >= 1 && Number(view['appliedLsn']) >= primaryLsn) syncedMs = Math.round(performance.now() - syncStarted);
      }, () => undefined);
    }, 50);
    const during: Awaited<ReturnType<typeof measured>>[] = [];
    try {
      for (let phase = 0; phase < 150 && syncedMs === 0; phase++) during.push(await measured(light(1000)));
    } finally {
      clearInterval(poller);
    }
    await starting;
    const view = await replication((replica as Node | null)!.port);
    report['fullSync'] = {
      records,
      primaryLsn,
      syncMs: syncedMs,
      replica: { lastSync: view['lastSync'], fullSyncs: view['fullSyncs'], appliedLsn: view['appliedLsn'] },
      primaryBefore: rowOf('primary cdn 2000/s before', before),
      primaryDuring: rowOf('primary cdn 2000/s during the full sync', during),
    };
    log(`full sync: ${JSON.stringify(report['fullSync'])}`);
  } finally {
    await (replica as Node | null)?.stop();
    await primary.stop();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const report: Record<string, unknown> = { tool: 'tessera-replication-bench', startedAt: new Date().toISOString(), options: { ...options, skip: [...options.skip] } };
  if (!options.skip.has('lag') || !options.skip.has('acks')) await lagAndAcks(options, report, log);
  if (!options.skip.has('sync')) await fullSync(options, report, log);
  report['finishedAt'] = new Date().toISOString();
  process.stdout.write(`\n${renderTable(report)}\n`);
  const jsonPath = defaultReportPath('json', new Date(report['startedAt'] as string)).replace(/bench-([^/]*)$/, 'replication-$1');
  writeReportFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  log(`report: ${jsonPath}`);
}

function renderTable(report: Record<string, unknown>): string {
  const lines: string[] = [];
  const lag = (report['lag'] ?? {}) as Record<string, Record<string, number>>;
  if (Object.keys(lag).length > 0) {
    lines.push('replication lag (primary /status, every 100 ms), closed loop', '| workload | ops/s | p99 µs | lag LSN p50 | lag LSN p99 | lag ms p50 | lag ms p99 | samples |', '|---|---|---|---|---|---|---|---|');
    for (const [workload, figures] of Object.entries(lag)) lines.push(`| ${workload} | ${figures['opsPerSec']} | ${figures['p99Us']} | ${figures['lsnP50']} | ${figures['lsnP99']} | ${figures['msP50']} | ${figures['msP99']} | ${figures['samples']} |`);
  }
  const acks = (report['acks'] ?? []) as Row[];
  if (acks.length > 0) {
    lines.push('', 'cost of acks: cms, fsync always on both nodes; pooled over rounds, and the median of the rounds', '| target | ops/s | p50 µs | p99 µs | srv µs/op | errors | ops/s median | p99 µs median |', '|---|---|---|---|---|---|---|---|');
    for (const row of acks as (Row & { perRound: Row[] })[]) {
      const median = (values: number[]): number => percentile(values, 50);
      lines.push(`| ${row.name} | ${row.opsPerSec} | ${row.p50Us} | ${row.p99Us} | ${row.serverCpuUsPerOp ?? '-'} | ${row.errors} | ${median(row.perRound.map((round) => round.opsPerSec))} | ${median(row.perRound.map((round) => round.p99Us))} |`);
    }
  }
  const sync = report['fullSync'] as Record<string, unknown> | undefined;
  if (sync !== undefined) {
    const before = sync['primaryBefore'] as Row;
    const during = sync['primaryDuring'] as Row;
    lines.push('', `full sync of ${String(sync['records'])} records: replica process started → everything applied: ${String(sync['syncMs'])} ms`, '| primary, cdn open loop 2000 ops/s | p50 µs | p99 µs | errors |', '|---|---|---|---|');
    for (const row of [before, during]) lines.push(`| ${row.name} | ${row.p50Us} | ${row.p99Us} | ${row.errors} |`);
  }
  return lines.join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`replication bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
