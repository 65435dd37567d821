// Hand-made broken frames, one per rule of the verifier. Random ones are in the fuzz tests.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import * as flatbuffers from 'flatbuffers';
import { Event, Op, OpKind, Request, Response, Result, ScannedRecord, ServerFrame, ServerMessage } from '../../schemas/generated/tessera_generated';
import { Status } from '../../engine/layout/status';
import { encodeRequest } from './encode-request';
import { encodeResponse } from './encode-response';
import { frameIdentifier, requestLayout, serverFrameLayout, type FieldLayout, type TableLayout } from './schema-layout';
import { verifyFrame, type VerifyResult } from './verify-frame';

function failure(result: VerifyResult): { status: Status; message: string } {
  assert.equal(result.ok, false, 'the frame must be refused');
  if (result.ok) throw new Error('unreachable');
  return result;
}

function refusedRequest(bytes: Uint8Array, messagePart: string, status = Status.MalformedRequest): void {
  const refused = failure(verifyFrame(bytes, requestLayout));
  assert.equal(refused.status, status);
  assert.ok(refused.message.includes(messagePart), `"${refused.message}" mentions "${messagePart}"`);
}

/** A Request of one op whose fields `addFields` writes (children made by `children` first). */
function requestWith(children: (builder: flatbuffers.Builder) => number[], addFields: (builder: flatbuffers.Builder, offsets: number[]) => void): Uint8Array {
  const builder = new flatbuffers.Builder(256);
  const offsets = children(builder);
  Op.startOp(builder);
  addFields(builder, offsets);
  const op = Op.endOp(builder);
  const ops = Request.createOpsVector(builder, [op]);
  Request.startRequest(builder);
  Request.addId(builder, 7n);
  Request.addOps(builder, ops);
  builder.finish(Request.endRequest(builder), frameIdentifier);
  return builder.asUint8Array().slice();
}

function validGet(): Uint8Array {
  return encodeRequest(1, [{ op: 'get', ns: 'articles', key: 'a/b' }]);
}

/** Positions inside a frame, read the way the verifier reads them. */
function rootTable(bytes: Uint8Array): { view: DataView; table: number; vtable: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const table = view.getUint32(0, true);
  return { view, table, vtable: table - view.getInt32(table, true) };
}

test('frames made by the codec pass', () => {
  assert.deepEqual(verifyFrame(validGet(), requestLayout), { ok: true });
  assert.deepEqual(verifyFrame(encodeRequest(0, []), requestLayout), { ok: true });
  const response = encodeResponse(3, [{ records: [], cursor: null }, { status: Status.NotFound }]);
  assert.deepEqual(verifyFrame(response, serverFrameLayout), { ok: true });
});

test('header: too short, wrong identifier, bad root offset', () => {
  refusedRequest(new Uint8Array(0), 'shorter');
  refusedRequest(new Uint8Array(7), 'shorter');
  const wrongIdentifier = validGet();
  wrongIdentifier[4] = 'X'.charCodeAt(0);
  refusedRequest(wrongIdentifier, 'identifier');
  const rootZero = validGet();
  new DataView(rootZero.buffer).setUint32(0, 0, true);
  refusedRequest(rootZero, 'root');
  const rootPastEnd = validGet();
  new DataView(rootPastEnd.buffer).setUint32(0, rootPastEnd.length, true);
  refusedRequest(rootPastEnd, 'root');
  const rootMisaligned = validGet();
  new DataView(rootMisaligned.buffer).setUint32(0, rootZero.length - 3, true);
  refusedRequest(rootMisaligned, 'misaligned');
});

test('tables: vtable outside the frame, bad vtable and table sizes', () => {
  const vtableOutside = validGet();
  const { view, table } = rootTable(vtableOutside);
  view.setInt32(table, table + 64, true);
  refusedRequest(vtableOutside, 'vtable');
  for (const [slot, value, messagePart] of [
    [0, 3, 'vtable size'],
    [0, 2, 'vtable size'],
    [0, 0x8000, 'vtable size'],
    [2, 2, 'table size'],
    [2, 0x7ffe, 'table size'],
  ] as const) {
    const bytes = validGet();
    const position = rootTable(bytes);
    position.view.setUint16(position.vtable + slot, value, true);
    refusedRequest(bytes, messagePart);
  }
});

test('fields: outside their table, misaligned', () => {
  const outside = validGet();
  const position = rootTable(outside);
  const tableSize = position.view.getUint16(position.vtable + 2, true);
  position.view.setUint16(position.vtable + 4, tableSize, true); // Request.id at the table's end
  refusedRequest(outside, 'Request.id: field outside');
  const misaligned = validGet();
  const second = rootTable(misaligned);
  const idOffset = second.view.getUint16(second.vtable + 4, true);
  second.view.setUint16(second.vtable + 4, idOffset + 4, true);
  refusedRequest(misaligned, 'Request.id');
});

test('vectors and strings: past the end, no NUL, bad UTF-8, too long', () => {
  const vectorTooLong = validGet();
  const position = rootTable(vectorTooLong);
  const opsField = position.table + position.view.getUint16(position.vtable + 6, true);
  const opsVector = opsField + position.view.getUint32(opsField, true);
  position.view.setUint32(opsVector, 1000, true);
  refusedRequest(vectorTooLong, 'runs past the frame');

  const tooManyOps = encodeRequest(9, new Array(1025).fill({ op: 'get', ns: 'n', key: 'k' }));
  refusedRequest(tooManyOps, 'at most 1024', Status.TooManyOps);

  const badUtf8 = requestWith((builder) => [builder.createString(Uint8Array.from([0x61, 0xff]))], (builder, [ns]) => {
    Op.addNs(builder, ns!);
  });
  refusedRequest(badUtf8, 'Op.ns: string is not valid UTF-8');

  const noNul = requestWith((builder) => [builder.createString('abc')], (builder, [ns]) => Op.addNs(builder, ns!));
  // The string was the first thing built, so it sits at the end of the frame: its NUL is last.
  assert.equal(noNul[noNul.length - 1], 0);
  noNul[noNul.length - 1] = 0x20;
  refusedRequest(noNul, 'NUL');
});

test('scalars: enum out of range, bool neither 0 nor 1', () => {
  refusedRequest(requestWith(() => [], (builder) => Op.addKind(builder, 9 as OpKind)), 'Op.kind: enum');
  refusedRequest(requestWith(() => [], (builder) => builder.addFieldInt8(4, 9, 0)), 'Op.mode: enum');
  refusedRequest(requestWith(() => [], (builder) => builder.addFieldInt8(11, 2, 1)), 'Op.values: bool');
});

test('required fields: Request.ops, ScannedRecord.key, ServerFrame.message', () => {
  const builder = new flatbuffers.Builder(64);
  Request.startRequest(builder);
  Request.addId(builder, 1n);
  builder.finish(builder.endObject(), frameIdentifier); // endRequest would refuse the missing ops
  refusedRequest(builder.asUint8Array().slice(), 'Request.ops: required');

  builder.clear();
  ScannedRecord.startScannedRecord(builder);
  const record = builder.endObject();
  const records = Result.createRecordsVector(builder, [record]);
  const result = Result.createResult(builder, Status.Ok, 0, 0, 0, 0, 0, false, records, 0, 0, 0);
  const results = Response.createResultsVector(builder, [result]);
  Response.startResponse(builder);
  Response.addResults(builder, results);
  const response = Response.endResponse(builder);
  builder.finish(ServerFrame.createServerFrame(builder, ServerMessage.Response, response), frameIdentifier);
  const refused = failure(verifyFrame(builder.asUint8Array(), serverFrameLayout));
  assert.ok(refused.message.includes('ScannedRecord.key: required'), refused.message);
});

test('unions: a type without a value, a value without a type', () => {
  const builder = new flatbuffers.Builder(64);
  ServerFrame.startServerFrame(builder);
  ServerFrame.addMessageType(builder, ServerMessage.Event);
  builder.finish(builder.endObject(), frameIdentifier);
  assert.ok(failure(verifyFrame(builder.asUint8Array(), serverFrameLayout)).message.includes('ServerFrame.message'));

  builder.clear();
  Event.startEvent(builder);
  const event = Event.endEvent(builder);
  ServerFrame.startServerFrame(builder);
  ServerFrame.addMessage(builder, event);
  builder.finish(builder.endObject(), frameIdentifier);
  assert.ok(failure(verifyFrame(builder.asUint8Array(), serverFrameLayout)).message.includes('without a valid type'));

  builder.clear();
  Event.startEvent(builder);
  const typed = Event.endEvent(builder);
  ServerFrame.startServerFrame(builder);
  builder.addFieldInt8(0, 4, 0); // union type 4: no such member (3 is EventBatch)
  ServerFrame.addMessage(builder, typed);
  builder.finish(builder.endObject(), frameIdentifier);
  assert.ok(failure(verifyFrame(builder.asUint8Array(), serverFrameLayout)).message.includes('union type out of range'));
});

test('fields of a newer schema are ignored', () => {
  const newer = requestWith((builder) => [builder.createString('n'), builder.createString('k')], (builder, [ns, key]) => {
    Op.addNs(builder, ns!);
    Op.addKey(builder, key!);
    builder.addFieldInt32(20, 1234, 0); // slot 20: beyond every field Op has today
  });
  assert.deepEqual(verifyFrame(newer, requestLayout), { ok: true });
});

test('work is bounded: shared tables and shared strings', () => {
  // 1024 results sharing one Result whose 1000 records share one ScannedRecord: a small frame
  // that would cost a million table visits.
  const builder = new flatbuffers.Builder(1024);
  const key = builder.createByteVector(Uint8Array.of(1));
  ScannedRecord.startScannedRecord(builder);
  ScannedRecord.addKey(builder, key);
  const record = ScannedRecord.endScannedRecord(builder);
  const records = Result.createRecordsVector(builder, new Array<number>(1000).fill(record));
  Result.startResult(builder);
  Result.addRecords(builder, records);
  const result = Result.endResult(builder);
  const results = Response.createResultsVector(builder, new Array<number>(1024).fill(result));
  Response.startResponse(builder);
  Response.addResults(builder, results);
  builder.finish(ServerFrame.createServerFrame(builder, ServerMessage.Response, Response.endResponse(builder)), frameIdentifier);
  const frame = builder.asUint8Array().slice();
  assert.ok(frame.length < 16 * 1024);
  assert.ok(failure(verifyFrame(frame, serverFrameLayout)).message.includes('too many table references'));

  // 1024 ops sharing one 64 KiB namespace name: 64 MiB of UTF-8 checking from a 70 KiB frame.
  builder.clear();
  const ns = builder.createString('n'.repeat(64 * 1024));
  const keyString = builder.createString('k');
  Op.startOp(builder);
  Op.addNs(builder, ns);
  Op.addKey(builder, keyString);
  const op = Op.endOp(builder);
  const ops = Request.createOpsVector(builder, new Array<number>(1024).fill(op));
  Request.startRequest(builder);
  Request.addId(builder, 1n);
  Request.addOps(builder, ops);
  builder.finish(Request.endRequest(builder), frameIdentifier);
  refusedRequest(builder.asUint8Array().slice(), 'too many string bytes');
});

test('depth is bounded (with a recursive layout, which our schema does not have)', () => {
  const fields: FieldLayout[] = [];
  const node: TableLayout = { name: 'Node', fields };
  fields.push({
    name: 'child',
    path: 'Node.child',
    kind: 'table',
    required: false,
    enumMax: 0,
    table: node,
    members: [],
    lengthMax: Number.MAX_SAFE_INTEGER,
    lengthStatus: Status.MalformedRequest,
  });
  const chain = (depth: number): Uint8Array => {
    const builder = new flatbuffers.Builder(256);
    let child = 0;
    for (let level = 0; level < depth; level++) {
      builder.startObject(1);
      if (child !== 0) builder.addFieldOffset(0, child, 0);
      child = builder.endObject();
    }
    builder.finish(child, frameIdentifier);
    return builder.asUint8Array().slice();
  };
  assert.deepEqual(verifyFrame(chain(8), node), { ok: true });
  assert.ok(failure(verifyFrame(chain(9), node)).message.includes('nested too deep'));
});
