// Micro-benchmarks of the codec's hot paths, run by hand: node dist/wire/codec/codec.bench.js
// (TESSERA_BENCH_SECONDS sets the time per case, default 1). The "unverified" case reads the same
// frame with generated accessors and no verifier: the difference is what verification costs.
//
// First figures, from a quiet moment on the shared 2-core dev machine (Node 20; rerun before
// relying on them), ns per call: decode of a one-get frame ~950, of which verification ~300; a
// 64-get batch ~350 per op; encode of a one-get request ~1,800; a 1 KiB get response ~2,400 to
// encode and ~1,200 to decode. Against the ~9 µs a request costs at pipeline 1 (DESIGN.md),
// decoding one frame is about a tenth of it, and batches spread the per-frame part.
//
// The fast path's codec (29 November, TESSERA_BENCH_SECONDS=2, load 1.4), ns per call: one get
// read by KeyOpReader 185 (decodeRequest 760), a 4 KiB put 232 (981); a 1 KiB get's answer by
// writeSingleResultFrame 155 (encodeResponse 2,727; the Builder-based view encoder it replaced
// measured 1,452 in a plain loop), a put's answer 79.

import Benchmark from 'benchmark';
import * as flatbuffers from 'flatbuffers';
import { Op, Request } from '../../schemas/generated/tessera_generated';
import { decodeRequest } from './decode-request';
import { decodeServerFrame } from './decode-server-frame';
import { encodeRequest } from './encode-request';
import { encodeResponse } from './encode-response';
import type { WireOp } from './wire-types';
import { KeyOpReader } from './key-op-reader';
import { writeSingleResultFrame } from './response-writer';
import type { ResultView } from '../../engine/front/result-sink';

const secondsPerCase = Number(process.env['TESSERA_BENCH_SECONDS'] ?? '1');
const getOp: WireOp = { op: 'get', ns: 'articles', key: 'a/2026/some-article' };
const getFrame = encodeRequest(1, [getOp]);
const batchOps: WireOp[] = Array.from({ length: 64 }, (_, index) => ({ op: 'get', ns: 'articles', key: `a/2026/${index}` }));
const batchFrame = encodeRequest(2, batchOps);
const value1KiB = new Uint8Array(1024);
const getResult = { status: 0, value: value1KiB, generation: 1, expiry: 0, lastModified: 1_767_225_600_000, contentType: 'text/html', created: false };
const responseFrame = encodeResponse(1, [getResult]);
let sink: unknown;
// The WebSocket fast path's codec (issue 10): the key-op reader against decodeRequest, the
// hand-written answer against encodeResponse, on the same request and the same 1 KiB result.
const putFrame = encodeRequest(3, [{ op: 'put', ns: 'articles', key: 'a/2026/some-article', value: new Uint8Array(4096), ifGeneration: 3 }]);
const keyOps = new KeyOpReader();
const getResultView: ResultView = {
  status: 0,
  flags: 0,
  hasValue: true,
  generation: 1,
  expiry: 0,
  lastModified: 1_767_225_600_000,
  contentType: () => 'text/html',
  value: () => value1KiB.slice(),
  valueView: () => value1KiB,
};
const putResultView: ResultView = { ...getResultView, hasValue: false, contentType: () => '' };

function unverifiedDecode(bytes: Uint8Array): number {
  const request = Request.getRootAsRequest(new flatbuffers.ByteBuffer(bytes));
  const op = request.ops(0, new Op());
  sink = { op: 'get', ns: op?.ns(), key: op?.keyArray() };
  return request.opsLength();
}

new Benchmark.Suite('codec')
  .add('decodeRequest: 1 get', () => (sink = decodeRequest(getFrame)))
  .add('unverified generated accessors: 1 get', () => unverifiedDecode(getFrame))
  .add('KeyOpReader: 1 get', () => (sink = keyOps.read(getFrame)))
  .add('decodeRequest: 1 put of 4 KiB', () => (sink = decodeRequest(putFrame)))
  .add('KeyOpReader: 1 put of 4 KiB', () => (sink = keyOps.read(putFrame)))
  .add('decodeRequest: 64 gets', () => (sink = decodeRequest(batchFrame)))
  .add('encodeRequest: 1 get', () => (sink = encodeRequest(1, [getOp])))
  .add('encodeResponse: 1 KiB get result', () => (sink = encodeResponse(1, [getResult])))
  .add('writeSingleResultFrame: 1 KiB get result', () => (sink = writeSingleResultFrame(1, getResultView)))
  .add('writeSingleResultFrame: a put\'s result', () => (sink = writeSingleResultFrame(1, putResultView)))
  .add('decodeServerFrame: 1 KiB get result', () => (sink = decodeServerFrame(responseFrame)))
  .on('cycle', (event: Benchmark.Event) => {
    const bench = event.target;
    console.log(`${String(bench.name).padEnd(40)} ${(1e9 / (bench.hz ?? 1)).toFixed(0).padStart(7)} ns/call  ±${bench.stats?.rme.toFixed(1)}%`);
  })
  .on('complete', () => void sink)
  .run({ maxTime: secondsPerCase } as Benchmark.Options);
