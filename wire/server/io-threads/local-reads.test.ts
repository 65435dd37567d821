// The I/O thread's read fast path against a real engine's tables (read here on the test's own
// thread, as an I/O thread reads them): what it answers, byte for byte as the decoder sees it, and
// every case it must leave to the front (null: relay).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openEngine, Status, type EngineApi } from '../../../engine';
import type { DirectReadSources } from '../../../engine/front/direct-read';
import { decodeServerFrame, encodeRequest } from '../../codec';
import type { WireOp } from '../../codec/wire-types';
import { gateClosed, gateOpen, LocalCount, LocalReads } from './local-reads';
import { SharedTables } from './shared-tables';

const text = new TextEncoder();
const bytes = (value: string): Uint8Array => text.encode(value);
let engine: EngineApi;
let reads: LocalReads;
const gate = new Int32Array(new SharedArrayBuffer(4));
/** content readable, private not. */
const readable = Uint8Array.of(1, 0);

before(async () => {
  engine = await openEngine({ shards: 2, sweepIntervalMs: 0, namespaces: [{ name: 'content' }, { name: 'private' }] });
  await engine.put('content', 'a/1', bytes('one'), { contentType: 'text/plain' });
  await engine.put('private', 'p', bytes('secret'));
  const sources = (engine as unknown as { directReadSources(): DirectReadSources | null }).directReadSources();
  assert.ok(sources !== null, 'the engine reads directly by default');
  reads = new LocalReads(new SharedTables(sources), gate.buffer as SharedArrayBuffer);
  Atomics.store(gate, 0, gateOpen);
});

after(async () => {
  await engine.close();
});

function answer(ops: WireOp[], id = 7, rights = readable): ReturnType<typeof decodeServerFrame> | null {
  const frame = reads.answer(encodeRequest(id, ops), rights);
  return frame === null ? null : decodeServerFrame(frame.slice());
}

test('a get is answered from the table: value, content type, generation, its request id', () => {
  const decoded = answer([{ op: 'get', ns: 'content', key: bytes('a/1') }], 41);
  assert.ok(decoded !== null && decoded.type === 'response');
  assert.equal(decoded.id, 41);
  const [result] = decoded.results;
  assert.equal(result?.status, Status.Ok);
  assert.equal(Buffer.from(result?.value ?? []).toString(), 'one');
  assert.equal(result?.contentType, 'text/plain');
  assert.equal(result?.generation, 1);
});

test('a head has the metadata and no value; a missing key is NotFound', () => {
  const head = answer([{ op: 'head', ns: 'content', key: bytes('a/1') }]);
  assert.ok(head !== null && head.type === 'response');
  assert.equal(head.results[0]?.status, Status.Ok);
  assert.equal(head.results[0]?.value, null);
  const missing = answer([{ op: 'get', ns: 'content', key: bytes('nothing here') }]);
  assert.ok(missing !== null && missing.type === 'response');
  assert.equal(missing.results[0]?.status, Status.NotFound);
});

test('counts by kind and outcome', () => {
  reads.counts.fill(0);
  answer([{ op: 'get', ns: 'content', key: bytes('a/1') }]);
  answer([{ op: 'get', ns: 'content', key: bytes('absent') }]);
  answer([{ op: 'head', ns: 'content', key: bytes('a/1') }]);
  answer([{ op: 'head', ns: 'content', key: bytes('absent') }]);
  assert.deepEqual([...reads.counts], [1, 1, 1, 1, 0]);
  assert.equal(reads.counts[LocalCount.Fallbacks], 0);
});

test('left to the front: a closed gate, a namespace the token may not read, an unknown namespace', () => {
  Atomics.store(gate, 0, gateClosed);
  assert.equal(answer([{ op: 'get', ns: 'content', key: bytes('a/1') }]), null);
  Atomics.store(gate, 0, gateOpen);
  assert.equal(answer([{ op: 'get', ns: 'private', key: bytes('p') }]), null);
  assert.ok(answer([{ op: 'get', ns: 'private', key: bytes('p') }], 1, Uint8Array.of(1, 1)) !== null, 'readable with the right');
  assert.equal(answer([{ op: 'get', ns: 'nope', key: bytes('p') }]), null);
});

test('left to the front: writes, batches, scans, an invalid key, a frame that is not a request', () => {
  assert.equal(answer([{ op: 'put', ns: 'content', key: bytes('w'), value: bytes('v'), mode: 'upsert', ifGeneration: 0, ttl: undefined, contentType: undefined }]), null);
  assert.equal(answer([{ op: 'delete', ns: 'content', key: bytes('a/1'), ifGeneration: 0 }]), null);
  assert.equal(answer([{ op: 'get', ns: 'content', key: bytes('a/1') }, { op: 'get', ns: 'content', key: bytes('a/1') }]), null);
  assert.equal(answer([{ op: 'scan', ns: 'content', prefix: bytes('a/'), limit: 10, values: false }]), null);
  assert.equal(answer([{ op: 'get', ns: 'content', key: new Uint8Array(0) }]), null, 'an empty key is invalid: the front answers its status');
  assert.equal(reads.answer(Uint8Array.of(1, 2, 3), readable), null);
});
