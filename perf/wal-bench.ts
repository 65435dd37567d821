// WAL throughput on this disk: records/s and fsyncs/s through the shipped path (WalClient -> the
// log-writer worker -> SegmentLog), for fsync always and everysec, 100 B and 1 KiB values.
//
// Closed loop with a bounded window, like a server with many clients waiting for `disk` acks: each
// event-loop turn appends up to `batch` changes while fewer than `window` are waiting for the durable
// LSN, so group commit sees whatever queued during the previous fdatasync. Bounded in time per case.
//
//   node dist/perf/wal-bench.js [--seconds 3] [--window 4096] [--batch 256] [--dir PATH]

import * as fs from 'node:fs';
import * as path from 'node:path';
import { WalClient } from '../engine/front/wal-client';
import type { Change } from '../engine/layout/types';
import type { FsyncPolicy } from '../engine/wal/segment-log';

interface BenchOptions {
  seconds: number;
  window: number;
  batch: number;
  directory: string;
}

function parseOptions(argv: string[]): BenchOptions {
  const options: BenchOptions = { seconds: 3, window: 4096, batch: 256, directory: path.resolve('wal-bench-data') };
  for (let index = 0; index < argv.length; index += 2) {
    const name = argv[index];
    const value = argv[index + 1];
    if (value === undefined) throw new Error(`${name} needs a value`);
    if (name === '--seconds') options.seconds = Number(value);
    else if (name === '--window') options.window = Number(value);
    else if (name === '--batch') options.batch = Number(value);
    else if (name === '--dir') options.directory = path.resolve(value);
    else throw new Error(`unknown option ${name}`);
  }
  if (!(options.seconds > 0 && options.seconds <= 60)) throw new RangeError('--seconds 0..60');
  return options;
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

async function runCase(options: BenchOptions, fsync: FsyncPolicy, valueBytes: number): Promise<string> {
  const dataDir = path.join(options.directory, `${fsync}-${valueBytes}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  const client = await WalClient.open({ dataDir, historyId: new Uint8Array(16).fill(1), fsync, segmentBytes: 64 * 1024 * 1024, nextLsn: 1 });
  // One Change object reused: the bench times the WAL, not the allocator.
  const change: Change = { lsn: 0, kind: 'put', ns: 'content', key: new Uint8Array(16), generation: 1, expiry: 0, lastModified: Date.now(), contentType: 'application/octet-stream', value: new Uint8Array(valueBytes).fill(7) };
  let nextLsn = 1;
  const startedMs = performance.now();
  const deadlineMs = startedMs + options.seconds * 1000;
  const fsyncsAtStart = client.stats().fsyncs;
  await new Promise<void>((resolve) => {
    const turn = (): void => {
      if (performance.now() >= deadlineMs) return resolve();
      const room = options.window - (nextLsn - 1 - client.durableLsn);
      for (let i = 0; i < Math.min(room, options.batch); i++) {
        change.lsn = nextLsn++;
        change.key[0] = change.lsn & 0xff;
        client.append(change);
      }
      // With the window full, wait for the next durable notice instead of spinning.
      if (room <= 0) client.onDurable(once);
      else setImmediate(turn);
    };
    let waiting = false;
    const once = (): void => {
      if (waiting) return;
      waiting = true;
      setImmediate(() => {
        waiting = false;
        turn();
      });
    };
    turn();
  });
  const durableAtEnd = client.durableLsn;
  const elapsedSec = (performance.now() - startedMs) / 1000;
  const stats = client.stats();
  await client.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const latencies = stats.fsyncLatencyUs.slice().sort((left, right) => left - right);
  const fsyncs = stats.fsyncs - fsyncsAtStart;
  const recordsPerSec = Math.round(durableAtEnd / elapsedSec);
  return [
    fsync.padEnd(9),
    `${valueBytes} B`.padStart(7),
    `${recordsPerSec.toLocaleString('en-US')} rec/s`.padStart(16),
    `${(stats.walBytes / elapsedSec / 1024 / 1024).toFixed(1)} MiB/s`.padStart(12),
    `${Math.round(fsyncs / elapsedSec)} fsync/s`.padStart(13),
    `${fsyncs > 0 ? Math.round(durableAtEnd / fsyncs) : 0} rec/fsync`.padStart(15),
    `fsync p50 ${Math.round(percentile(latencies, 0.5))} µs p99 ${Math.round(percentile(latencies, 0.99))} µs`,
  ].join('  ');
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  fs.mkdirSync(options.directory, { recursive: true });
  console.log(`WAL bench: ${options.seconds} s per case, window ${options.window}, batch ${options.batch}, dir ${options.directory}`);
  for (const fsync of ['always', 'everysec'] as const) {
    for (const valueBytes of [100, 1024]) console.log(await runCase(options, fsync, valueBytes));
  }
  fs.rmSync(options.directory, { recursive: true, force: true });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
