// The floor under Tessera's request path: what uWebSockets.js and Tessera's wire codec cost per op
// with nothing else: one thread, records in a Map, no shards, no shared tables, no change log, no
// WAL, no metrics, no access control, no limits. NOT a server (it keeps nothing, checks nothing):
// a benchmark instrument, started by the harness in place of Tessera:
//
//   node dist/perf/bench.js --workload cdn,cms --tessera-bin dist/perf/protocol-floor-server.js
//
// It takes the command line the harness gives Tessera (`serve --port P --host H ...`) and answers
// what the harness asks: GET /status, the WebSocket protocol's get and put (ifGeneration kept, so
// cms's mismatches happen as on Tessera), and HTTP GET of a record for wrk. A one-op request takes
// Tessera's own fast codec (key-op-reader.ts, response-writer.ts); others the general one. If this floor already
// costs more server CPU per op than Redis, no work on Tessera's own code reaches parity on this
// design; the distance between the floor and Tessera is what Tessera's own code costs.
//
// FLOOR_IO_THREADS=N (environment, as the harness passes no extra flags) runs N uWS apps on N
// worker threads listening on the one port (SO_REUSEPORT: the kernel spreads the connections),
// all on the same records (floor-store.ts): what more I/O threads would do on this machine,
// measured below Tessera's own code. N = 1 (default) serves on the main thread, as Tessera does.
// FLOOR_SLOTS (default 100000, the harness's --keys) and FLOOR_VALUE_MAX (default 4096 bytes).

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { HttpResponse, TemplatedApp, WebSocket } from 'uWebSockets.js';
import { decodeRequest } from '../wire/codec/decode-request';
import { encodeRequestFailure, encodeResponse } from '../wire/codec/encode-response';
import { KeyOpReader } from '../wire/codec/key-op-reader';
import { writeSingleResultFrame } from '../wire/codec/response-writer';
import type { ResultView } from '../engine/front/result-sink';
import { resultFlagCreated } from '../engine/layout/batch-layout';
import { loadUws } from '../wire/server/load-uws';
import { wsPath } from '../wire/server/ws-endpoint';
import { Status } from '../engine/layout/status';
import type { Key, OpResult, Value, WireOp } from '../engine/layout/types';
import { createFloorStoreBuffers, FloorStore, type FloorRead, type FloorStoreBuffers } from './floor-store';

interface ThreadData {
  host: string;
  port: number;
  buffers: FloorStoreBuffers;
}

const keyDecoder = new TextDecoder();
const valueEncoder = new TextEncoder();
const missing: OpResult = { status: Status.NotFound, generation: 0, expiry: 0, lastModified: 0, contentType: '', value: null, created: false };
const scratch: FloorRead = { generation: 0, lastModifiedMs: 0, value: new Uint8Array(0) };

function keyText(key: Key): string {
  return typeof key === 'string' ? key : keyDecoder.decode(key);
}

function valueOf(value: Value): Uint8Array {
  return typeof value === 'string' ? valueEncoder.encode(value) : value;
}

function resultOf(store: FloorStore, op: WireOp): OpResult {
  if (op.op !== 'get' && op.op !== 'head' && op.op !== 'put') return { ...missing, status: Status.InvalidArgument };
  const slot = store.slotOf(keyText(op.key));
  if (slot === -1) return op.op === 'put' ? { ...missing, status: Status.InvalidArgument } : missing;
  if (op.op === 'put') {
    const put = store.put(slot, valueOf(op.value), op.ifGeneration ?? 0);
    if (put.status === 'ok') return { status: Status.Ok, generation: put.generation, expiry: 0, lastModified: put.lastModifiedMs, contentType: '', value: null, created: put.created };
    return { ...missing, status: put.status === 'mismatch' ? Status.GenerationMismatch : put.status === 'missing' ? Status.NotFound : Status.ValueTooLarge };
  }
  const found = store.read(slot, scratch);
  if (found === null) return missing;
  return { status: Status.Ok, generation: found.generation, expiry: 0, lastModified: found.lastModifiedMs, contentType: '', value: op.op === 'get' ? found.value : null, created: false };
}

/** The one result of a one-op request, as the response writer reads it (reused: written at once). */
const singleView = {
  status: Status.Ok as number,
  flags: 0,
  generation: 0,
  expiry: 0,
  lastModified: 0,
  hasValue: false,
  bytes: new Uint8Array(0) as Uint8Array,
  contentType: (): string => '',
  value(): Uint8Array | null {
    return this.hasValue ? this.bytes.slice() : null;
  },
  valueView(): Uint8Array {
    return this.bytes;
  },
};

function viewOf(result: OpResult): ResultView {
  singleView.status = result.status;
  singleView.flags = result.created ? resultFlagCreated : 0;
  singleView.generation = result.generation;
  singleView.expiry = result.expiry;
  singleView.lastModified = result.lastModified;
  singleView.hasValue = result.value !== null;
  singleView.bytes = result.value ?? singleView.bytes;
  return singleView;
}

/** The WebSocket path Tessera's fast path takes: key ops read in place, a one-op answer written by hand. */
const keyOps = new KeyOpReader();

function onMessage(store: FloorStore, ws: WebSocket<unknown>, message: ArrayBuffer): void {
  const frame = new Uint8Array(message);
  if (keyOps.read(frame) && keyOps.count === 1) {
    ws.send(writeSingleResultFrame(keyOps.id, viewOf(resultOf(store, keyOps.ops[0]!))), true);
    return;
  }
  const decoded = decodeRequest(frame);
  if (!decoded.ok) {
    ws.send(encodeRequestFailure(decoded.id, decoded.status, decoded.message), true);
    return;
  }
  ws.send(encodeResponse(decoded.id, decoded.ops.map((op) => resultOf(store, op))), true);
}

function answerHttpGet(store: FloorStore, res: HttpResponse, url: string): void {
  // /v1/{ns}/{key}: any namespace, the key URL-decoded.
  const slash = url.indexOf('/', 4);
  const slot = slash === -1 ? -1 : store.slotOf(decodeURIComponent(url.slice(slash + 1)));
  const found = slot === -1 ? null : store.read(slot, scratch);
  if (found === null) {
    res.writeStatus('404 Not Found').end('{"error":"NotFound"}');
    return;
  }
  res.writeStatus('200 OK').writeHeader('ETag', `"${found.lastModifiedMs}-${found.generation}"`).writeHeader('Content-Type', 'application/octet-stream').end(found.value);
}

/** One I/O thread: a uWS app on the shared port (uWS sets SO_REUSEPORT unless told otherwise). */
function serve(data: ThreadData): TemplatedApp {
  const store = new FloorStore(data.buffers);
  const app = loadUws().App();
  app.ws(wsPath, { maxPayloadLength: 16 * 1024 * 1024, idleTimeout: 0, message: (ws, message) => onMessage(store, ws, message) });
  app.get('/status', (res) => {
    res.end('{"state":"running","floor":true}');
  });
  app.get('/v1/*', (res, req) => answerHttpGet(store, res, req.getUrl()));
  app.listen(data.host, data.port, (listening) => {
    if (listening === false) {
      process.stderr.write(`cannot listen on ${data.host}:${data.port}\n`);
      process.exit(1);
    }
  });
  return app;
}

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${text}`);
  return value;
}

function main(argv: readonly string[]): void {
  const option = (name: string, fallback: string): string => {
    const at = argv.indexOf(name);
    return at === -1 ? fallback : (argv[at + 1] ?? fallback);
  };
  if (argv[0] !== 'serve') throw new Error('usage: protocol-floor-server serve --port P [--host H]');
  const ioThreads = positiveInteger('FLOOR_IO_THREADS', 1);
  const data: ThreadData = {
    host: option('--host', '127.0.0.1'),
    port: Number(option('--port', '7380')),
    buffers: createFloorStoreBuffers(positiveInteger('FLOOR_SLOTS', 100_000), positiveInteger('FLOOR_VALUE_MAX', 4096)),
  };
  const workers: Worker[] = [];
  if (ioThreads === 1) serve(data);
  else for (let thread = 0; thread < ioThreads; thread++) workers.push(new Worker(__filename, { workerData: data }));
  process.stdout.write(`protocol floor listening on ${data.host}:${data.port} with ${ioThreads} I/O thread(s)\n`);
  // A worker must close its app before it ends (node asserts on a loop with open handles).
  const stop = (): void => {
    const exits = workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    for (const worker of workers) worker.postMessage('stop');
    const deadline = new Promise((resolve) => setTimeout(resolve, 2_000).unref());
    void Promise.race([Promise.all(exits), deadline]).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** The native app has close() (it closes every socket); the published typings lack it. */
function closeApp(app: TemplatedApp): void {
  (app as TemplatedApp & { close?: () => void }).close?.();
}

if (isMainThread) main(process.argv.slice(2));
else {
  const app = serve(workerData as ThreadData);
  parentPort?.once('message', () => {
    closeApp(app);
    parentPort?.close();
  });
}
