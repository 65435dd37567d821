// One `npm run bench`: starts the servers, runs every workload against every target in alternating
// rounds, runs the C clients, and collects the report. Servers are stopped by PID in stop(), which
// bench.ts calls from a finally block (child-processes.ts also kills them on any exit).

import { cpus } from 'node:os';
import type { BenchOptions } from './cli-options';
import { workloadValueSize } from './cli-options';
import type { BenchReport, Unavailable } from './bench-report';
import { ensureCommand } from './ensure-tool';
import { createGenerationMemory, type GenerationMemory } from './generation-memory';
import { valueBytes } from './keys';
import { runLoad, type LoadRunPlan } from './load-run';
import { preloadRedis, preloadTessera } from './preload';
import type { Progress } from './progress';
import { readProcessCpuUs } from './proc-cpu';
import { redisBenchmarkArgs, runRedisBenchmark } from './redis-benchmark-run';
import { startRedis } from './redis-server';
import { cClientResult, RoundPool, type RunShape } from './result-builder';
import type { RunningServer } from './running-server';
import type { LoadWorkloadName, TargetName } from './target-connection';
import { tesseraFanoutUnsupported } from './target-tessera';
import { loadTesseraConnect } from './tessera-client-loader';
import { startTessera } from './tessera-server';
import { runWrk } from './wrk-run';

const clientOf: Record<TargetName, string> = { tessera: 'tessera-client', redis: 'ioredis', fake: 'in-process' };

/** One set of rows: a target driven with one auto-pipelining setting (fake: the setting is ignored). */
interface Variant {
  target: TargetName;
  autoPipelining: boolean;
}

/** The client's name as the rows show it: the auto-pipelining setting is part of it. */
function clientLabel(variant: Variant): string {
  if (variant.target === 'fake') return clientOf.fake;
  return `${clientOf[variant.target]} ${variant.autoPipelining ? 'autopipe' : 'no-autopipe'}`;
}

const variantKey = (variant: Variant): string => `${variant.target}/${variant.autoPipelining}`;
/** Fanout waits this long after the writer stops for deliveries still on their way. */
const fanoutGraceMs = 1_000;

export class BenchSession {
  readonly report: BenchReport;
  readonly #options: BenchOptions;
  readonly #progress: Progress;
  readonly #servers = new Map<TargetName, RunningServer>();
  /** Targets that could not start: skipped with their reason recorded per workload. */
  readonly #failed = new Map<TargetName, string>();

  constructor(options: BenchOptions, progress: Progress) {
    this.#options = options;
    this.#progress = progress;
    const cpuList = cpus();
    this.report = {
      tool: 'tessera-perf',
      version: 1,
      startedAt: new Date().toISOString(),
      finishedAt: '',
      host: { cpus: cpuList.length, cpuModel: cpuList[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` },
      options: { ...options },
      results: [],
      unavailable: [],
      comparisons: [],
    };
  }

  async startServers(): Promise<void> {
    const log = (line: string): void => this.#progress.log(line);
    for (const target of this.#options.targets) {
      if (target === 'fake') continue;
      try {
        const server = target === 'redis' ? await startRedis(log, this.#options.fsync) : await startTessera(this.#options.tesseraBin ?? undefined, this.#options.fsync, this.#options.ioThreads);
        this.#servers.set(target, server);
        log(`${target}: started, pid ${server.pid}, ${server.host}:${server.port}`);
      } catch (error: unknown) {
        const reason = error instanceof Error ? error.message : String(error);
        this.#failed.set(target, reason);
        log(`${target}: could not start: ${reason}`);
      }
    }
  }

  async stop(): Promise<void> {
    const servers = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.allSettled(servers.map((server) => server.stop()));
  }

  #unavailable(target: string, workload: string, client: string, reason: string): void {
    const entry: Unavailable = { target, workload, client, reason };
    this.report.unavailable.push(entry);
    this.#progress.log(`${target} ${workload} (${client}): not available: ${reason}`);
  }

  /** Targets the generator can drive for this workload (others are recorded as unavailable). */
  async #generatorTargets(workload: LoadWorkloadName): Promise<TargetName[]> {
    const ready: TargetName[] = [];
    for (const target of this.#options.targets) {
      const failure = this.#failed.get(target);
      if (failure !== undefined) {
        this.#unavailable(target, workload, clientOf[target], failure);
        continue;
      }
      const server = this.#servers.get(target);
      let reason: string | null = null;
      if (target === 'tessera' && server !== undefined) {
        const loaded = loadTesseraConnect();
        reason = typeof loaded === 'string' ? loaded : workload === 'fanout' ? await tesseraFanoutUnsupported(server.host, server.port).catch((error: unknown) => String(error)) : null;
      }
      if (reason === null) ready.push(target);
      else this.#unavailable(target, workload, clientOf[target], reason);
    }
    return ready;
  }

  async #preload(workload: LoadWorkloadName, value: Uint8Array, generatorTargets: readonly TargetName[], memories: Map<TargetName, GenerationMemory>): Promise<void> {
    for (const [target, server] of this.#servers) {
      const wrkWillRead = target === 'tessera' && workload === 'cdn' && this.#options.cClients;
      if (!generatorTargets.includes(target) && !wrkWillRead) continue;
      const startedMs = performance.now();
      const generations = createGenerationMemory(this.#options.keys);
      memories.set(target, generations);
      if (target === 'redis') await preloadRedis(server, workload, this.#options.keys, value, generations);
      if (target === 'tessera') {
        const via = await preloadTessera(server, this.#options.namespace, workload, this.#options.keys, value, generations);
        if (workload !== 'fanout') this.#progress.log(`tessera: preloaded ${this.#options.keys} keys via ${via} in ${Math.round(performance.now() - startedMs)} ms`);
      }
    }
  }

  async runWorkload(workload: LoadWorkloadName): Promise<void> {
    const options = this.#options;
    const valueSize = workload === 'fanout' ? workloadValueSize.fanout : (options.valueSize ?? workloadValueSize[workload]);
    const targets = await this.#generatorTargets(workload);
    const memories = new Map<TargetName, GenerationMemory>();
    try {
      await this.#preload(workload, valueBytes(valueSize, options.seed), targets, memories);
    } catch (error: unknown) {
      throw new Error(`preloading ${workload} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Each auto-pipelining setting runs on both targets, side by side (like for like); fanout's
    // writer is open loop at a low rate, where the setting changes nothing: the first setting only.
    const settings = workload === 'fanout' ? options.autoPipelining.slice(0, 1) : options.autoPipelining;
    const variants: Variant[] = [];
    for (const autoPipelining of settings) for (const target of targets) if (target !== 'fake' || autoPipelining === settings[0]) variants.push({ target, autoPipelining });
    const pools = new Map(variants.map((variant) => [variantKey(variant), new RoundPool(this.#shape(variant, workload))]));
    for (let round = 0; round < options.rounds; round++) {
      // Alternate the order so neither target always runs first (warmer machine, fuller caches).
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) await this.#runRound(variant, workload, valueSize, round, pools, memories.get(variant.target) ?? null);
    }
    for (const pool of pools.values()) if (pool.rounds > 0) this.report.results.push(pool.toResult());
    const redisPool = [...pools.values()].find((pool) => pool.shape.target === 'redis' && pool.rounds > 0);
    if (workload === 'cdn' && options.cClients) await this.#runCClients(valueSize, redisPool);
  }

  #shape(variant: Variant, workload: LoadWorkloadName): RunShape {
    const options = this.#options;
    const target = variant.target;
    const threads = target === 'fake' && workload === 'fanout' ? 1 : options.threads;
    const rate = workload === 'fanout' ? options.fanoutRate : options.rate;
    const mode = workload === 'fanout' || options.rate > 0 ? 'open' : 'closed';
    const shape: RunShape = { target, workload, client: clientLabel(variant), mode, connections: options.connections, pipeline: options.pipeline, threads, rate, durationSec: options.durationSec };
    if (target !== 'fake') shape.autoPipelining = variant.autoPipelining;
    return shape;
  }

  async #runRound(variant: Variant, workload: LoadWorkloadName, valueSize: number, round: number, pools: Map<string, RoundPool>, generations: GenerationMemory | null): Promise<void> {
    const options = this.#options;
    const target = variant.target;
    const pool = pools.get(variantKey(variant));
    if (pool === undefined) return;
    const plan: LoadRunPlan = {
      endpoint: { name: target, host: this.#servers.get(target)?.host ?? '127.0.0.1', port: this.#servers.get(target)?.port ?? 0, namespace: options.namespace, autoPipelining: variant.autoPipelining },
      workload,
      connections: options.connections,
      threads: pool.shape.threads,
      pipeline: options.pipeline,
      rate: workload === 'fanout' ? 0 : options.rate,
      keys: options.keys,
      valueSize,
      zipfExponent: options.zipfExponent,
      seed: options.seed + round,
      warmupMs: (workload === 'fanout' ? Math.max(1, options.warmupSec) : options.warmupSec) * 1000,
      durationMs: options.durationSec * 1000,
      fanoutRate: options.fanoutRate,
      fanoutGraceMs,
      serverPid: this.#servers.get(target)?.pid ?? null,
      generations: workload === 'cms' ? generations : null,
    };
    const label = `[${workload} round ${round + 1}/${options.rounds}] ${target} (${clientLabel(variant)})`;
    try {
      const run = await runLoad(plan, (phase, elapsedMs, ops, errors) => {
        const seconds = elapsedMs / 1000;
        this.#progress.update(`${label} ${phase} ${seconds.toFixed(0)} s  ${Math.round(ops / Math.max(seconds, 0.001)).toLocaleString('en-US')} ops/s  errors ${errors}`);
      });
      pool.add(run);
      this.#progress.log(`${label}: ${Math.round((run.counts.ok + run.counts.notFound + run.counts.mismatch + run.counts.error) / (run.measuredMs / 1000)).toLocaleString('en-US')} ops/s, errors ${run.counts.error}`);
    } catch (error: unknown) {
      pools.delete(variantKey(variant));
      this.#unavailable(target, workload, clientLabel(variant), `run failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #runCClients(valueSize: number, redisPool: RoundPool | undefined): Promise<void> {
    const redis = this.#servers.get('redis');
    const tessera = this.#servers.get('tessera');
    if (redis !== undefined) await this.#guard('redis', 'redis-benchmark', () => this.#runRedisBenchmark(redis, valueSize, redisPool));
    if (tessera !== undefined) await this.#guard('tessera', 'wrk', () => this.#runWrk(tessera));
  }

  async #guard(target: string, client: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error: unknown) {
      this.#unavailable(target, 'cdn-get', client, error instanceof Error ? error.message : String(error));
    }
  }

  #cShape(target: string, client: string): RunShape {
    const options = this.#options;
    return { target, workload: 'cdn-get', client, mode: 'closed', connections: options.connections, pipeline: options.pipeline, threads: options.threads, rate: 0, durationSec: options.durationSec };
  }

  async #runRedisBenchmark(redis: RunningServer, valueSize: number, redisPool: RoundPool | undefined): Promise<void> {
    const options = this.#options;
    const binary = ensureCommand('redis-benchmark', 'redis-tools', (line) => this.#progress.log(line));
    // No time limit in redis-benchmark: size the request count so it runs about --duration.
    const measuredRate = redisPool !== undefined && redisPool.rounds > 0 ? redisPool.toResult().opsPerSec : 50_000;
    const requests = Math.min(20_000_000, Math.max(10_000, Math.round(measuredRate * 1.5 * options.durationSec)));
    const plan = { binary, host: redis.host, port: redis.port, connections: options.connections, pipeline: options.pipeline, threads: options.threads, keys: options.keys, valueSize, requests };
    this.#progress.log(`redis-benchmark ${redisBenchmarkArgs(plan).join(' ')}`);
    const cpuBeforeUs = readProcessCpuUs(redis.pid);
    const measured = await runRedisBenchmark(plan, Math.max(60_000, options.durationSec * 10_000));
    this.report.results.push(cClientResult(this.#cShape('redis', 'redis-benchmark'), measured, readProcessCpuUs(redis.pid) - cpuBeforeUs));
  }

  async #runWrk(tessera: RunningServer): Promise<void> {
    const options = this.#options;
    const binary = ensureCommand('wrk', 'wrk', (line) => this.#progress.log(line));
    // The cdn keyspace was preloaded (through the client, or over HTTP PUT without it): wrk reads it.
    this.#progress.log(`wrk: ${options.connections} connections, ${options.durationSec} s, GET /v1/${options.namespace}/key:…`);
    const cpuBeforeUs = readProcessCpuUs(tessera.pid);
    const measured = await runWrk({ binary, host: tessera.host, port: tessera.port, connections: options.connections, threads: options.threads, durationSec: options.durationSec, namespace: options.namespace, keys: options.keys, zipfExponent: options.zipfExponent, seed: options.seed, pipeline: options.pipeline });
    this.report.results.push(cClientResult(this.#cShape('tessera', 'wrk'), measured, readProcessCpuUs(tessera.pid) - cpuBeforeUs));
  }
}
