// Recovery and snapshot figures (issue 11), in process, on this machine's disk:
//   (b) recovery of N records (default 1,000,000 × 100 B values) from the WAL alone;
//   (c) the time to snapshot them;
//   (a) recovery from the snapshot (+ the WAL the node still keeps: one snapshot keeps the whole WAL
//       as its fallback, so a second snapshot is taken and recovery measured after it too);
//   (d) op latency p50/p99 under a closed-loop load (90 % get, 10 % put of 100 B) without a snapshot
//       and while one runs.
// The load is written with fsync `never` to save time (recovery reads the same files either way).
// Prints a table and writes JSON to perf/results/. Bounded: every loop counts, every phase is timed.
//
//   npm run bench:recovery -- [--records 1000000] [--value-bytes 100] [--shards 2] [--dir PATH]

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../engine/front/engine';
import { Status } from '../engine/layout/status';
import { SeededRandom } from '../engine/layout/seeded-random';
import { createLatencyHistogram, recordLatencyUs, summarizeLatency, type LatencySummaryUs } from './latency-histogram';
import { projectRoot, writeReportFile } from './report-files';

interface BenchOptions {
  records: number;
  valueBytes: number;
  shards: number;
  directory: string;
}

function parseOptions(argv: string[]): BenchOptions {
  const options: BenchOptions = { records: 1_000_000, valueBytes: 100, shards: 2, directory: '' };
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index];
    const value = argv[index + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--records') options.records = Number(value);
    else if (name === '--value-bytes') options.valueBytes = Number(value);
    else if (name === '--shards') options.shards = Number(value);
    else if (name === '--dir') options.directory = path.resolve(value);
    else throw new Error(`unknown option ${name}`);
  }
  if (!(Number.isInteger(options.records) && options.records >= 1000 && options.records <= 20_000_000)) throw new RangeError('--records 1000..20000000');
  if (!(Number.isInteger(options.valueBytes) && options.valueBytes >= 1 && options.valueBytes <= 65536)) throw new RangeError('--value-bytes 1..65536');
  return options;
}

const namespace = 'content';
const keyOf = (index: number): string => `rec/${index.toString(36).padStart(6, '0')}`;

function open(dataDir: string, shards: number, fsync: 'never' | 'always'): Promise<Engine> {
  return Engine.open({
    shards,
    namespaces: [{ name: namespace, ack: 'memory', memoryLimitBytes: 2 * 1024 * 1024 * 1024 }],
    persistence: { dataDir, fsync, snapshotIntervalSec: 0 },
  });
}

/** Bytes the files of a directory occupy on disk (WAL segments are preallocated sparse: size says little). */
function dirBytes(directory: string): number {
  return fs.readdirSync(directory).reduce((sum, name) => sum + fs.statSync(path.join(directory, name)).blocks * 512, 0);
}

async function load(engine: Engine, options: BenchOptions): Promise<number> {
  const started = performance.now();
  const value = new Uint8Array(options.valueBytes).fill(0x61);
  const batchSize = 1000;
  const inFlight = 4;
  for (let start = 0; start < options.records; start += batchSize * inFlight) {
    const batches: Promise<void>[] = [];
    for (let lane = 0; lane < inFlight; lane++) {
      const from = start + lane * batchSize;
      const to = Math.min(options.records, from + batchSize);
      if (from >= to) break;
      const ops = [];
      for (let index = from; index < to; index++) ops.push({ op: 'put' as const, ns: namespace, key: keyOf(index), value });
      batches.push(engine.batch(ops).then((results) => {
        if (results.some((result) => result.status !== Status.Ok)) throw new Error(`load: a put failed (${Status[results.find((result) => result.status !== Status.Ok)!.status]})`);
      }));
    }
    await Promise.all(batches);
  }
  return Math.round(performance.now() - started);
}

interface LatencyRun {
  ops: number;
  seconds: number;
  get: LatencySummaryUs;
  put: LatencySummaryUs;
}

/** A closed loop of `clients` callers (90 % get, 10 % put) until `until` resolves (bounded by maxMs). */
async function closedLoop(engine: Engine, records: number, valueBytes: number, until: Promise<unknown>, maxMs: number): Promise<LatencyRun> {
  const getHistogram = createLatencyHistogram();
  const putHistogram = createLatencyHistogram();
  const value = new Uint8Array(valueBytes).fill(0x62);
  let done = false;
  void until.finally(() => (done = true));
  const started = performance.now();
  let ops = 0;
  const client = async (seed: number): Promise<void> => {
    const random = new SeededRandom(seed);
    for (let count = 0; count < 50_000_000 && !done && performance.now() - started < maxMs; count++) {
      const key = keyOf(random.below(records));
      const isPut = random.below(10) === 0;
      const opStarted = performance.now();
      const result = isPut ? await engine.put(namespace, key, value) : await engine.get(namespace, key);
      recordLatencyUs(isPut ? putHistogram : getHistogram, (performance.now() - opStarted) * 1000);
      if (result.status !== Status.Ok) throw new Error(`load op answered ${Status[result.status]}`);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, index) => client(index + 1)));
  await until;
  return { ops, seconds: (performance.now() - started) / 1000, get: summarizeLatency(getHistogram), put: summarizeLatency(putHistogram) };
}

async function reopenMs(dataDir: string, options: BenchOptions): Promise<{ engine: Engine; ms: number; snapshotRecords: number; walRecords: number }> {
  const started = performance.now();
  const engine = await open(dataDir, options.shards, 'never');
  const ms = Math.round(performance.now() - started);
  const report = engine.persistenceStats()?.recovery;
  const records = engine.stats().namespaces[0]?.records ?? 0;
  if (records !== options.records) throw new Error(`recovered ${records} records, expected ${options.records}`);
  return { engine, ms, snapshotRecords: report?.snapshotRecords ?? 0, walRecords: report?.walRecords ?? 0 };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const root = options.directory === '' ? fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-recovery-bench-')) : options.directory;
  const dataDir = path.join(root, 'data');
  const rows: [string, string][] = [];
  const json: Record<string, unknown> = { startedAt: new Date().toISOString(), records: options.records, valueBytes: options.valueBytes, shards: options.shards, cpus: os.cpus().length };
  console.log(`recovery bench: ${options.records} records × ${options.valueBytes} B, ${options.shards} shards, data dir ${dataDir}`);
  try {
    let engine = await open(dataDir, options.shards, 'never');
    const loadMs = await load(engine, options);
    rows.push(['load (fsync never)', `${loadMs} ms, ${Math.round(options.records / (loadMs / 1000))} puts/s`]);
    await engine.close();
    const walBytes = dirBytes(path.join(dataDir, 'wal'));
    rows.push(['WAL on disk', `${(walBytes / 1e6).toFixed(1)} MB`]);

    // (b) the WAL alone.
    let reopened = await reopenMs(dataDir, options);
    engine = reopened.engine;
    rows.push(['(b) recovery from the WAL alone', `${reopened.ms} ms (${reopened.walRecords} WAL records)`]);
    json['recoveryWalOnlyMs'] = reopened.ms;

    // (d) latency without a snapshot, then (c) a snapshot with the same load running.
    const quiet = await closedLoop(engine, options.records, options.valueBytes, new Promise((resolve) => setTimeout(resolve, 3000)), 10_000);
    const snapshotStarted = performance.now();
    const snapshot = engine.snapshot();
    const during = await closedLoop(engine, options.records, options.valueBytes, snapshot, 120_000);
    const first = await snapshot;
    const snapshotMs = Math.round(performance.now() - snapshotStarted);
    rows.push(['(c) snapshot under load', `${snapshotMs} ms, ${first.records} records, ${(first.bytes / 1e6).toFixed(1)} MB`]);
    json['snapshotMs'] = snapshotMs;
    json['latency'] = { withoutSnapshot: quiet, duringSnapshot: during };
    const quietOnly = await engine.snapshot();
    rows.push(['(c) snapshot, no load', `${quietOnly.ms} ms, ${quietOnly.records} records`]);
    json['snapshotQuietMs'] = quietOnly.ms;
    await engine.close();

    // (a) from the newest snapshot; the WAL is kept back to the older snapshot (its fallback).
    reopened = await reopenMs(dataDir, options);
    engine = reopened.engine;
    rows.push(['(a) recovery from snapshot + WAL kept', `${reopened.ms} ms (${reopened.snapshotRecords} snapshot records + ${reopened.walRecords} WAL records; WAL on disk ${(dirBytes(path.join(dataDir, 'wal')) / 1e6).toFixed(1)} MB)`]);
    json['recoverySnapshotMs'] = reopened.ms;
    await engine.close();

    const fmt = (run: LatencyRun, which: 'get' | 'put'): string => `p50 ${run[which].p50} µs  p99 ${run[which].p99} µs  max ${run[which].max} µs`;
    rows.push(['(d) get, no snapshot', `${fmt(quiet, 'get')}  (${Math.round(quiet.ops / quiet.seconds)} ops/s)`]);
    rows.push(['(d) get, during snapshot', `${fmt(during, 'get')}  (${Math.round(during.ops / during.seconds)} ops/s)`]);
    rows.push(['(d) put, no snapshot', fmt(quiet, 'put')]);
    rows.push(['(d) put, during snapshot', fmt(during, 'put')]);
  } finally {
    if (options.directory === '') fs.rmSync(root, { recursive: true, force: true });
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log('');
  for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`);
  json['table'] = rows;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const file = path.join(projectRoot(), 'perf', 'results', `recovery-${stamp}.json`);
  writeReportFile(file, JSON.stringify(json, null, 2));
  console.log(`JSON: ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
