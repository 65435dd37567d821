// In-process engine benchmark (issue 2): gets and puts through the shard path in batches of 256,
// against a Map in one thread as the ratio; and memory per record for 1,000,000 records against a
// Map<string, Buffer>. Run: npm run bench:engine [-- --seconds 3 --records 1000000 --json FILE]
//
// The load: W windows of 256 ops each are kept in flight; when a window's last result arrives,
// the next 256 ops are submitted. Ops of one event-loop turn share one Piscina task per shard, so
// each shard sees batches of 256 or more.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Opcode } from '../engine/layout/batch-layout';
import { Engine } from '../engine/front/engine';
import { OpRequest } from '../engine/front/op-request';
import type { ResultSink, ResultView } from '../engine/front/result-sink';

const keyBytes = 16;
const valueBytes = 100;
const windowOps = 256;

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function keyText(i: number): string {
  return `key-${i.toString().padStart(keyBytes - 4, '0')}`;
}

function makeKeys(count: number): Uint8Array {
  const keys = new Uint8Array(count * keyBytes);
  for (let i = 0; i < count; i++) keys.set(Buffer.from(keyText(i)), i * keyBytes);
  return keys;
}

class LoadWindow implements ResultSink {
  pending = 0;
  errors = 0;
  constructor(readonly onDone: (window: LoadWindow) => void) {}
  onResult(_token: number, reader: ResultView | null): void {
    if (reader === null || reader.status !== 0) this.errors++;
    // Refill on the next turn: a direct read answers inside submit(), and refilling from here
    // would recurse; a server likewise sees the next requests on a later turn.
    if (--this.pending === 0) setImmediate(this.#refill);
  }
  readonly #refill = (): void => this.onDone(this);
}

/** Closed loop for `seconds`: returns ops completed per second. */
async function runEngineLoad(engine: Engine, opcode: Opcode.Get | Opcode.Put, keys: Uint8Array, keyCount: number, value: Uint8Array, seconds: number, windows: number): Promise<{ opsPerSec: number; errors: number }> {
  const namespaceId = engine.namespaceId('bench')!;
  // One request struct for the whole run, refilled per op: the path the server takes.
  const request = new OpRequest();
  const submit = (key: number, window: LoadWindow): void => {
    request.reset(opcode, namespaceId, keys, key * keyBytes, keyBytes).value = opcode === Opcode.Put ? value : null;
    engine.submit(request, window, 0);
  };
  let completed = 0;
  let errors = 0;
  let next = 0;
  const deadline = performance.now() + seconds * 1000;
  let started = 0;
  return new Promise((resolve) => {
    const startTime = performance.now();
    const fill = (window: LoadWindow): void => {
      completed += windowOps - (started === 0 ? windowOps : 0);
      errors += window.errors;
      window.errors = 0;
      if (performance.now() >= deadline) {
        if (--started === 0) resolve({ opsPerSec: completed / ((performance.now() - startTime) / 1000), errors });
        return;
      }
      window.pending = windowOps;
      for (let i = 0; i < windowOps; i++) {
        submit(next++ % keyCount, window);
      }
    };
    for (let w = 0; w < windows; w++) {
      const window = new LoadWindow(fill);
      window.pending = windowOps;
      for (let i = 0; i < windowOps; i++) {
        submit(next++ % keyCount, window);
      }
      started++;
    }
    completed = -windows * windowOps + windows * windowOps; // windows count from their first completion
  });
}

function runMapLoad(kind: 'get' | 'put', keyCount: number, seconds: number): number {
  const map = new Map<string, Buffer>();
  const value = Buffer.alloc(valueBytes, 7);
  const names = Array.from({ length: keyCount }, (_, i) => keyText(i));
  for (const name of names) map.set(name, Buffer.from(value));
  let ops = 0;
  let sink = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 4096; i++) {
      const name = names[(ops + i) % keyCount]!;
      if (kind === 'get') sink += map.get(name)!.length;
      else map.set(name, Buffer.from(value));
    }
    ops += 4096;
  }
  if (sink < 0) console.log(sink);
  return ops / ((performance.now() - start) / 1000);
}

async function preload(engine: Engine, keys: Uint8Array, count: number, value: Uint8Array): Promise<void> {
  const namespaceId = engine.namespaceId('bench')!;
  const request = new OpRequest();
  let outstanding = 0;
  let failures = 0;
  let resolveIdle: () => void = () => undefined;
  const sink: ResultSink = {
    onResult: (_token, reader) => {
      if (reader === null || reader.status !== 0) failures++;
      if (--outstanding === 0) resolveIdle();
    },
  };
  for (let start = 0; start < count; start += 65536) {
    const end = Math.min(count, start + 65536);
    outstanding = end - start;
    const idle = new Promise<void>((resolve) => (resolveIdle = resolve));
    for (let i = start; i < end; i++) {
      request.reset(Opcode.Put, namespaceId, keys, i * keyBytes, keyBytes).value = value;
      engine.submit(request, sink, 0);
    }
    await idle;
  }
  if (failures > 0) throw new Error(`preload: ${failures} puts failed`);
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect !== undefined) {
    collect();
    collect();
  }
}

function mapMemoryPerRecord(count: number): number {
  gc();
  const before = process.memoryUsage();
  const map = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) map.set(keyText(i), Buffer.alloc(valueBytes, 7));
  gc();
  const after = process.memoryUsage();
  const bytes = after.heapUsed - before.heapUsed + (after.external - before.external) + (after.arrayBuffers - before.arrayBuffers) * 0;
  if (map.size !== count) throw new Error('map size');
  return bytes / count - keyBytes - valueBytes;
}

async function main(): Promise<void> {
  const seconds = argument('seconds', 3);
  const records = argument('records', 1_000_000);
  const windows = argument('windows', 8);
  const jsonIndex = process.argv.indexOf('--json');
  const jsonPath = jsonIndex >= 0 ? process.argv[jsonIndex + 1]! : join(__dirname, '..', '..', 'perf', 'results', 'engine-bench.json');
  const keyCount = Math.min(records, 100_000);
  const shards = argument('shards', 2);
  const keys = makeKeys(records);
  const value = new Uint8Array(valueBytes).fill(7);
  const engine = await Engine.open({
    shards,
    sweepIntervalMs: 0,
    namespaces: [{ name: 'bench', memoryLimitBytes: 4 * 1024 * 1024 * 1024 }],
  });
  try {
    await preload(engine, keys, keyCount, value);
    // Warm up both paths (JIT), then measure.
    await runEngineLoad(engine, Opcode.Get, keys, keyCount, value, 0.5, windows);
    await runEngineLoad(engine, Opcode.Put, keys, keyCount, value, 0.5, windows);
    const gets = await runEngineLoad(engine, Opcode.Get, keys, keyCount, value, seconds, windows);
    const puts = await runEngineLoad(engine, Opcode.Put, keys, keyCount, value, seconds, windows);
    // The same gets with direct reads off: every get goes to its owner shard in a batch.
    const routed = await Engine.open({ shards, sweepIntervalMs: 0, directReads: false, namespaces: [{ name: 'bench', memoryLimitBytes: 4 * 1024 * 1024 * 1024 }] });
    let routedGets: { opsPerSec: number; errors: number };
    try {
      await preload(routed, keys, keyCount, value);
      await runEngineLoad(routed, Opcode.Get, keys, keyCount, value, 0.5, windows);
      routedGets = await runEngineLoad(routed, Opcode.Get, keys, keyCount, value, seconds, windows);
    } finally {
      await routed.close();
    }
    const mapGets = runMapLoad('get', keyCount, seconds);
    const mapPuts = runMapLoad('put', keyCount, seconds);
    await preload(engine, keys, records, value);
    const stats = engine.stats();
    const namespace = stats.namespaces[0]!;
    if (namespace.records !== records) throw new Error(`expected ${records} records, have ${namespace.records}`);
    const enginePerRecord = stats.tableBytes / records - keyBytes - valueBytes;
    const mapPerRecord = mapMemoryPerRecord(records);
    const result = {
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      shards,
      batchOps: windowOps,
      windowsInFlight: windows,
      keyBytes,
      valueBytes,
      seconds,
      getsPerSec: Math.round(gets.opsPerSec),
      routedGetsPerSec: Math.round(routedGets.opsPerSec),
      putsPerSec: Math.round(puts.opsPerSec),
      mapGetsPerSec: Math.round(mapGets),
      mapPutsPerSec: Math.round(mapPuts),
      errors: gets.errors + puts.errors + routedGets.errors,
      records,
      engineBytesPerRecordOverhead: Math.round(enginePerRecord * 10) / 10,
      mapBytesPerRecordOverhead: Math.round(mapPerRecord * 10) / 10,
      changeLogLastLsn: stats.lastLsn,
    };
    console.log('engine benchmark (in-process, shard path, batches of 256, 16-byte keys, 100-byte values)');
    console.table([
      { op: 'get (owner-routed, directReads off)', 'tessera ops/s': result.routedGetsPerSec, 'Map ops/s (1 thread)': result.mapGetsPerSec, 'tessera/Map': +(result.routedGetsPerSec / result.mapGetsPerSec).toFixed(3) },
      { op: 'get (direct reads)', 'tessera ops/s': result.getsPerSec, 'Map ops/s (1 thread)': result.mapGetsPerSec, 'tessera/Map': +(result.getsPerSec / result.mapGetsPerSec).toFixed(3) },
      { op: 'put', 'tessera ops/s': result.putsPerSec, 'Map ops/s (1 thread)': result.mapPutsPerSec, 'tessera/Map': +(result.putsPerSec / result.mapPutsPerSec).toFixed(3) },
    ]);
    console.table([{ records, 'tessera bytes/record beyond key+value': result.engineBytesPerRecordOverhead, 'Map<string, Buffer> bytes/record beyond key+value': result.mapBytesPerRecordOverhead }]);
    if (result.errors > 0) console.log(`errors: ${result.errors}`);
    mkdirSync(dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, JSON.stringify(result, null, 2));
    console.log(`wrote ${jsonPath}`);
  } finally {
    await engine.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
