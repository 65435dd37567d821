// The floor under Tessera's request path: what uWebSockets.js and Tessera's wire codec cost per op
// with nothing else: one thread, records in a Map, no shards, no shared tables, no change log, no
// WAL, no metrics, no access control, no limits. NOT a server (it keeps nothing, checks nothing):
// a benchmark instrument, started by the harness in place of Tessera:
//
//   node dist/perf/bench.js --workload cdn,cms --tessera-bin dist/perf/protocol-floor-server.js
//
// It takes the command line the harness gives Tessera (`serve --port P --host H ...`) and answers
// what the harness asks: GET /status, the WebSocket protocol's get and put (ifGeneration kept, so
// cms's mismatches happen as on Tessera), and HTTP GET of a record for wrk. If this floor already
// costs more server CPU per op than Redis, no work on Tessera's own code reaches parity on this
// design; the distance between the floor and Tessera is what Tessera's own code costs.

import type { HttpResponse, WebSocket } from 'uWebSockets.js';
import { decodeRequest } from '../wire/codec/decode-request';
import { encodeRequestFailure, encodeResponse } from '../wire/codec/encode-response';
import { loadUws } from '../wire/server/load-uws';
import { wsPath } from '../wire/server/ws-endpoint';
import { Status } from '../engine/layout/status';
import type { Key, OpResult, Value, WireOp } from '../engine/layout/types';

interface FloorRecord {
  value: Uint8Array;
  generation: number;
  lastModified: number;
}

const records = new Map<string, FloorRecord>();
const keyDecoder = new TextDecoder();
const missing: OpResult = { status: Status.NotFound, generation: 0, expiry: 0, lastModified: 0, contentType: '', value: null, created: false };

/** Decoded ops carry bytes (views into the frame); the in-process API may give strings. */
function recordKey(ns: string, key: Key): string {
  return `${ns}/${typeof key === 'string' ? key : keyDecoder.decode(key)}`;
}

function ownedValue(value: Value): Uint8Array {
  return typeof value === 'string' ? new TextEncoder().encode(value) : value.slice();
}

function resultOf(op: WireOp): OpResult {
  if (op.op === 'get' || op.op === 'head') {
    const found = records.get(recordKey(op.ns, op.key));
    if (found === undefined) return missing;
    return { status: Status.Ok, generation: found.generation, expiry: 0, lastModified: found.lastModified, contentType: '', value: op.op === 'get' ? found.value : null, created: false };
  }
  if (op.op === 'put') {
    const name = recordKey(op.ns, op.key);
    const found = records.get(name);
    const ifGeneration = op.ifGeneration ?? 0;
    if (ifGeneration !== 0 && found?.generation !== ifGeneration) return { ...missing, status: found === undefined ? Status.NotFound : Status.GenerationMismatch };
    // The frame's bytes are freed when the handler returns: the value is copied, as Tessera copies it.
    const record = { value: ownedValue(op.value), generation: (found?.generation ?? 0) + 1, lastModified: Date.now() };
    records.set(name, record);
    return { status: Status.Ok, generation: record.generation, expiry: 0, lastModified: record.lastModified, contentType: '', value: null, created: found === undefined };
  }
  return { ...missing, status: Status.InvalidArgument };
}

function onMessage(ws: WebSocket<unknown>, message: ArrayBuffer): void {
  const decoded = decodeRequest(new Uint8Array(message));
  if (!decoded.ok) {
    ws.send(encodeRequestFailure(decoded.id, decoded.status, decoded.message), true);
    return;
  }
  ws.send(encodeResponse(decoded.id, decoded.ops.map(resultOf)), true);
}

function answerHttpGet(res: HttpResponse, url: string): void {
  // /v1/{ns}/{key}
  const slash = url.indexOf('/', 4);
  const found = slash === -1 ? undefined : records.get(`${url.slice(4, slash)}/${decodeURIComponent(url.slice(slash + 1))}`);
  if (found === undefined) {
    res.writeStatus('404 Not Found').end('{"error":"NotFound"}');
    return;
  }
  res.writeStatus('200 OK').writeHeader('ETag', `"${found.lastModified}-${found.generation}"`).writeHeader('Content-Type', 'application/octet-stream').end(found.value);
}

function main(argv: readonly string[]): void {
  const option = (name: string, fallback: string): string => {
    const at = argv.indexOf(name);
    return at === -1 ? fallback : (argv[at + 1] ?? fallback);
  };
  if (argv[0] !== 'serve') throw new Error('usage: protocol-floor-server serve --port P [--host H]');
  const host = option('--host', '127.0.0.1');
  const port = Number(option('--port', '7380'));
  const uws = loadUws();
  const app = uws.App();
  app.ws(wsPath, { maxPayloadLength: 16 * 1024 * 1024, idleTimeout: 0, message: (ws, message) => onMessage(ws, message) });
  app.get('/status', (res) => {
    res.end('{"state":"running","floor":true}');
  });
  app.get('/v1/*', (res, req) => answerHttpGet(res, req.getUrl()));
  app.listen(host, port, (listening) => {
    if (listening === false) {
      process.stderr.write(`cannot listen on ${host}:${port}\n`);
      process.exit(1);
    }
    process.stdout.write(`protocol floor listening on ${host}:${port}\n`);
  });
  const stop = (): void => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2));
