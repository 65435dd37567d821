import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as flatbuffers from 'flatbuffers';
import { Op, OpKind, Request } from '../../schemas/generated/tessera_generated';
import { frameBytesMax, opsPerRequestMax } from '../../engine/layout/limits';
import { Status } from '../../engine/layout/status';
import { decodeRequest } from './decode-request';
import { encodeRequest } from './encode-request';
import { frameIdentifier } from './schema-layout';
import { decodedForm, randomOp } from './ops.fixture';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';
import type { DecodeRequestResult, WireOp } from './wire-types';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function refused(result: DecodeRequestResult): { status: Status; id: number | null; message: string } {
  assert.equal(result.ok, false, 'the request must be refused');
  if (result.ok) throw new Error('unreachable');
  return result;
}

/** A Request with one op built field by field, for what encodeRequest would never write. */
function rawRequest(id: bigint | null, fill: (builder: flatbuffers.Builder) => void): Uint8Array {
  const builder = new flatbuffers.Builder(256);
  const ns = builder.createString('articles');
  const key = builder.createString('k');
  Op.startOp(builder);
  Op.addNs(builder, ns);
  Op.addKey(builder, key);
  fill(builder);
  const op = Op.endOp(builder);
  const ops = Request.createOpsVector(builder, [op]);
  Request.startRequest(builder);
  if (id !== null) Request.addId(builder, id);
  Request.addOps(builder, ops);
  builder.finish(Request.endRequest(builder), frameIdentifier);
  return builder.asUint8Array().slice();
}

test('every op kind round-trips', () => {
  const ops: WireOp[] = [
    { op: 'get', ns: 'articles', key: 'a/b' },
    { op: 'head', ns: 'articles', key: Uint8Array.of(0, 255) },
    { op: 'put', ns: 'articles', key: 'k', value: 'v' },
    { op: 'put', ns: 'articles', key: 'k', value: new Uint8Array(0), mode: 'create', ifGeneration: 2 ** 32 - 1, ttl: 0, contentType: 'text/plain' },
    { op: 'put', ns: 'articles', key: 'k', value: Uint8Array.of(1), mode: 'update', ttl: 315_360_000, contentType: '' },
    { op: 'delete', ns: 'articles', key: 'k' },
    { op: 'delete', ns: 'articles', key: 'k', ifGeneration: 5 },
    { op: 'touch', ns: 'articles', key: 'k' },
    { op: 'touch', ns: 'articles', key: 'k', ttl: 60 },
    { op: 'scan', ns: 'articles' },
    { op: 'scan', ns: 'articles', prefix: '', limit: 1000, cursor: 'c', values: false },
    { op: 'subscribe', subId: 1, ns: 'articles' },
    { op: 'subscribe', subId: 2 ** 32 - 1, ns: 'articles', key: 'k', fromLsn: 0, values: false },
    { op: 'subscribe', subId: 3, ns: 'articles', prefix: 'a/', fromLsn: Number.MAX_SAFE_INTEGER },
    { op: 'unsubscribe', subId: 3 },
  ];
  for (const id of [0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
    assert.deepEqual(decodeRequest(encodeRequest(id, ops)), { ok: true, id, ops: ops.map(decodedForm) });
  }
});

test('random batches round-trip', () => {
  const seed = testSeed();
  console.log(`request round trip seed=${seed} (TESSERA_SEED=${seed} to replay)`);
  const random = new SeededRandom(seed);
  for (let round = 0; round < 300; round++) {
    const ops: WireOp[] = [];
    const count = random.below(12);
    for (let index = 0; index < count; index++) ops.push(randomOp(random));
    const id = random.below(2 ** 40);
    assert.deepEqual(decodeRequest(encodeRequest(id, ops)), { ok: true, id, ops: ops.map(decodedForm) }, `round ${round}`);
  }
});

test('decoded keys and values are views into the frame, not copies', () => {
  const frame = encodeRequest(1, [{ op: 'put', ns: 'n', key: 'key', value: 'value' }]);
  const decoded = decodeRequest(frame);
  assert.ok(decoded.ok);
  const put = decoded.ops[0];
  assert.ok(put !== undefined && put.op === 'put' && put.value instanceof Uint8Array);
  assert.equal(put.value.buffer, frame.buffer);
});

test('a request without an id is malformed, with id null', () => {
  const result = refused(decodeRequest(rawRequest(null, () => undefined)));
  assert.equal(result.status, Status.MalformedRequest);
  assert.equal(result.id, null);
  assert.match(result.message, /Request\.id/);
  assert.equal(refused(decodeRequest(rawRequest(2n ** 53n, () => undefined))).id, null, 'an id above 2^53-1');
});

test('missing fields are malformed, and the failure carries the id', () => {
  const builder = new flatbuffers.Builder(64);
  for (const [kind, fields] of [
    [OpKind.Get, 'ns'],
    [OpKind.Put, 'value'],
    [OpKind.Unsubscribe, 'sub_id'],
    [OpKind.Subscribe, 'sub_id'],
  ] as const) {
    builder.clear();
    const ns = builder.createString('n');
    const key = builder.createString('k');
    Op.startOp(builder);
    Op.addKind(builder, kind);
    if (fields !== 'ns') Op.addNs(builder, ns);
    Op.addKey(builder, key);
    const op = Op.endOp(builder);
    const ops = Request.createOpsVector(builder, [op]);
    builder.finish(Request.createRequest(builder, 41n, ops), frameIdentifier);
    const result = refused(decodeRequest(builder.asUint8Array().slice()));
    assert.equal(result.status, Status.MalformedRequest);
    assert.equal(result.id, 41);
    assert.ok(result.message.includes(`op 0: required field ${fields} missing`), result.message);
  }
});

test('out-of-range arguments are InvalidArgument', () => {
  const cases: [string, (builder: flatbuffers.Builder) => void][] = [
    ['ttl -2', (builder) => { Op.addKind(builder, OpKind.Put); Op.addTtl(builder, -2n); }],
    ['ttl 10 years + 1', (builder) => { Op.addKind(builder, OpKind.Touch); Op.addTtl(builder, 315_360_001n); }],
    ['limit 1001', (builder) => { Op.addKind(builder, OpKind.Scan); Op.addLimit(builder, 1001); }],
  ];
  for (const [name, fill] of cases) {
    const builder = new flatbuffers.Builder(64);
    const ns = builder.createString('n');
    const key = builder.createString('k');
    const value = builder.createString('v');
    Op.startOp(builder);
    Op.addNs(builder, ns);
    Op.addKey(builder, key);
    Op.addValue(builder, value);
    fill(builder);
    const ops = Request.createOpsVector(builder, [Op.endOp(builder)]);
    builder.finish(Request.createRequest(builder, 5n, ops), frameIdentifier);
    const result = refused(decodeRequest(builder.asUint8Array().slice()));
    assert.equal(result.status, Status.InvalidArgument, name);
    assert.equal(result.id, 5, name);
  }
  const longContentType = encodeRequest(6, [{ op: 'put', ns: 'n', key: 'k', value: 'v', contentType: 'x'.repeat(256) }]);
  assert.equal(refused(decodeRequest(longContentType)).status, Status.InvalidArgument);
  const both = encodeRequest(7, [{ op: 'subscribe', subId: 1, ns: 'n', key: 'k', prefix: 'p' }]);
  assert.equal(refused(decodeRequest(both)).status, Status.InvalidArgument);
});

test('too many ops is TooManyOps, with the id', () => {
  const op: WireOp = { op: 'get', ns: 'n', key: 'k' };
  assert.ok(decodeRequest(encodeRequest(1, new Array<WireOp>(opsPerRequestMax).fill(op))).ok);
  const result = refused(decodeRequest(encodeRequest(2, new Array<WireOp>(opsPerRequestMax + 1).fill(op))));
  assert.equal(result.status, Status.TooManyOps);
  assert.equal(result.id, 2);
});

test('a frame above frameBytesMax is FrameTooLarge, with the id when readable', () => {
  const frame = encodeRequest(3, [{ op: 'put', ns: 'n', key: 'k', value: new Uint8Array(frameBytesMax) }]);
  const result = refused(decodeRequest(frame));
  assert.equal(result.status, Status.FrameTooLarge);
  assert.equal(result.id, 3);
  assert.equal(refused(decodeRequest(new Uint8Array(frameBytesMax + 1))).id, null);
});

test('every truncation of a valid frame is MalformedRequest, unless only padding was cut', () => {
  const frame = encodeRequest(9, [
    { op: 'put', ns: 'articles', key: 'a/b', value: utf8('hello'), contentType: 'text/plain', ttl: 5 },
    { op: 'scan', ns: 'articles', prefix: 'a/', cursor: 'c' },
  ]);
  const whole = decodeRequest(frame);
  assert.ok(whole.ok);
  let refusedCount = 0;
  for (let length = 0; length < frame.length; length++) {
    const result = decodeRequest(frame.subarray(0, length));
    if (result.ok) {
      // The Builder writes the first string at the end of the frame, followed by its NUL and up
      // to 3 alignment bytes of zeros: cutting those zeros loses nothing.
      assert.ok(frame.length - length <= 3, `truncated to ${length} bytes and still accepted`);
      assert.deepEqual(result, whole);
      continue;
    }
    assert.equal(result.status, Status.MalformedRequest, `truncated to ${length} bytes`);
    refusedCount += 1;
  }
  assert.ok(refusedCount >= frame.length - 3);
});

test('a frame inside a larger buffer (a subarray at an odd offset) decodes', () => {
  const frame = encodeRequest(4, [{ op: 'get', ns: 'n', key: 'k' }]);
  const larger = new Uint8Array(frame.length + 3);
  larger.set(frame, 1);
  assert.deepEqual(decodeRequest(larger.subarray(1, 1 + frame.length)), decodeRequest(frame));
});
