// Response frames of key ops (get, head, put, delete, touch), written by hand into one reused
// buffer: the WebSocket fast path's encoder (issue 10). Why by hand: the FlatBuffers Builder is
// generic, building back to front with a vtable search per table, and measured 1.45 µs for a 1 KiB
// get response and 0.58 µs for a put's, about a tenth of the server's CPU per op at pipeline 1.
// Every frame here has one shape, so its layout is fixed and written front to back in one pass.
//
// The bytes are a valid FlatBuffer of schemas/tessera.fbs (root ServerFrame, file identifier TSR1),
// read by the same generated accessors and passing the same verifier as the Builder's frames
// (response-writer.test.ts checks both on random results); they are not byte for byte the Builder's.
// Layout, offsets from the frame start (every uoffset points forward, every vtable lies before its
// table; scalars aligned to their size, the id and last_modified to 8):
//
//    0  u32 root = 16            4  "TSR1"
//    8  ServerFrame vtable: size 8, table 12, message_type @8, message @4
//   16  ServerFrame: soffset 8 | u32 message → 40 | u8 type = Response | pad
//   28  Response vtable: size 12, table 24, id @8, status @16, message absent, results @4
//   40  Response: soffset 12 | u32 results → 64 | u64 id | u8 status | pad
//   64  results vector: u32 count | count × u32 → each Result table
//   then per result: its vtable (7 fields), padding to 8, the Result table (32 bytes:
//        soffset | u32 generation | f64 last_modified | u32 expiry | u32 content_type | u32 value |
//        u8 status | u8 created | pad), its content type string, its value vector.

import { assert } from '../../engine/layout/assert';
import { resultFlagCreated } from '../../engine/layout/batch-layout';
import { Status } from '../../engine/layout/status';
import { mediaTypeOf } from '../../engine/layout/stored-content-type';
import { isUint32, isUint64Number } from '../../engine/layout/uint64';
import type { ResultView } from '../../engine/front/result-sink';
import { ServerMessage } from '../../schemas/generated/tessera_generated';
import { frameIdentifier } from './schema-layout';

/** Holds a response of a few KiB (or a batch of them) without growing. */
const bufferBytesInitial = 64 * 1024;
/** After a frame larger than this (a big value), the grown buffer is dropped rather than kept. */
const bufferBytesRetainedMax = 1024 * 1024;

const serverFrameTable = 16;
const responseTable = 40;
const resultsVector = 64;
const resultVtableBytes = 4 + 2 * 7;
const resultTableBytes = 32;
/** Result table field positions (bytes from the table start). */
const resultGeneration = 4;
const resultLastModified = 8;
const resultExpiry = 16;
const resultContentType = 20;
const resultValue = 24;
const resultStatus = 28;
const resultCreated = 29;

let bytes = new Uint8Array(bufferBytesInitial);
let view = new DataView(bytes.buffer);

function ensureCapacity(needed: number): void {
  if (needed <= bytes.byteLength) return;
  let capacity = bytes.byteLength;
  while (capacity < needed) capacity *= 2;
  const grown = new Uint8Array(capacity);
  grown.set(bytes);
  bytes = grown;
  view = new DataView(bytes.buffer);
}

/** After a frame larger than bufferBytesRetainedMax, drops the grown buffer. */
export function releaseLargeResponseBuffer(): void {
  if (bytes.byteLength > bufferBytesRetainedMax) {
    bytes = new Uint8Array(bufferBytesInitial);
    view = new DataView(bytes.buffer);
  }
}

/** The fixed head: root offset, identifier, ServerFrame and Response tables, the results count. */
function writeHead(id: number, count: number): number {
  assert(isUint64Number(id), 'a response id is an integer in 0..2^53-1');
  const v = view;
  v.setUint32(0, serverFrameTable, true);
  for (let index = 0; index < frameIdentifier.length; index++) bytes[4 + index] = frameIdentifier.charCodeAt(index);
  // ServerFrame vtable and table.
  v.setUint16(8, 8, true);
  v.setUint16(10, 12, true);
  v.setUint16(12, 8, true); // message_type
  v.setUint16(14, 4, true); // message
  v.setInt32(serverFrameTable, serverFrameTable - 8, true);
  v.setUint32(serverFrameTable + 4, responseTable - (serverFrameTable + 4), true);
  v.setUint32(serverFrameTable + 8, ServerMessage.Response, true); // the type byte and its padding
  // Response vtable and table.
  v.setUint16(28, 12, true);
  v.setUint16(30, 24, true);
  v.setUint16(32, 8, true); // id
  v.setUint16(34, 16, true); // status
  v.setUint16(36, 0, true); // message: absent
  v.setUint16(38, 4, true); // results
  v.setInt32(responseTable, responseTable - 28, true);
  v.setUint32(responseTable + 4, resultsVector - (responseTable + 4), true);
  // The id as two 32-bit halves: no BigInt per frame.
  v.setUint32(responseTable + 8, id % 0x1_0000_0000, true);
  v.setUint32(responseTable + 12, Math.floor(id / 0x1_0000_0000), true);
  v.setUint32(responseTable + 16, Status.Ok, true); // the status byte and its padding
  v.setUint32(responseTable + 20, 0, true);
  v.setUint32(resultsVector, count, true);
  return resultsVector + 4 + 4 * count;
}

/** Writes a string as a FlatBuffers string (length, UTF-8, NUL) at a 4-aligned position; returns the end. */
function writeString(at: number, text: string): number {
  const length = text.length;
  let ascii = true;
  for (let index = 0; index < length; index++) {
    if (text.charCodeAt(index) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    ensureCapacity(at + 4 + length + 1);
    for (let index = 0; index < length; index++) bytes[at + 4 + index] = text.charCodeAt(index);
    view.setUint32(at, length, true);
    bytes[at + 4 + length] = 0;
    return at + 4 + length + 1;
  }
  const utf8 = Buffer.from(text, 'utf8');
  ensureCapacity(at + 4 + utf8.byteLength + 1);
  bytes.set(utf8, at + 4);
  view.setUint32(at, utf8.byteLength, true);
  bytes[at + 4 + utf8.byteLength] = 0;
  return at + 4 + utf8.byteLength + 1;
}

/**
 * Writes result `index` (its vector slot is at resultsVector + 4 + 4 * index) from position `at`;
 * returns the position after it. A null result is a shard that died before answering.
 */
function writeResult(at: number, index: number, result: ResultView | null): number {
  // Room for the vtable, padding and table; strings and values ensure their own.
  ensureCapacity(at + resultVtableBytes + 8 + resultTableBytes);
  const v = view;
  let position = (at + 1) & ~1;
  const vtable = position;
  v.setUint16(vtable, resultVtableBytes, true);
  v.setUint16(vtable + 2, resultTableBytes, true);
  v.setUint16(vtable + 4, resultStatus, true);
  v.setUint16(vtable + 6, resultGeneration, true);
  v.setUint16(vtable + 8, resultExpiry, true);
  v.setUint16(vtable + 10, resultLastModified, true);
  v.setUint16(vtable + 12, 0, true); // content_type: set below when present
  v.setUint16(vtable + 14, 0, true); // value: set below when present
  v.setUint16(vtable + 16, resultCreated, true);
  position = (vtable + resultVtableBytes + 7) & ~7;
  const table = position;
  v.setInt32(table, table - vtable, true);
  const slot = resultsVector + 4 + 4 * index;
  v.setUint32(slot, table - slot, true);
  v.setUint32(table + resultContentType, 0, true);
  v.setUint32(table + resultValue, 0, true);
  v.setUint32(table + resultStatus, 0, true); // status, created and padding, set below
  position = table + resultTableBytes;
  if (result === null) {
    v.setUint32(table + resultGeneration, 0, true);
    v.setFloat64(table + resultLastModified, 0, true);
    v.setUint32(table + resultExpiry, 0, true);
    bytes[table + resultStatus] = Status.ShardUnavailable;
    return position;
  }
  const generation = result.generation;
  const expiry = result.expiry;
  assert(isUint32(generation) && isUint32(expiry), 'generation and expiry are uint32');
  v.setUint32(table + resultGeneration, generation, true);
  v.setFloat64(table + resultLastModified, result.lastModified, true);
  v.setUint32(table + resultExpiry, expiry, true);
  bytes[table + resultStatus] = result.status;
  bytes[table + resultCreated] = (result.flags & resultFlagCreated) !== 0 ? 1 : 0;
  // The stored form may carry the record's own Cache-Control after an LF: WebSocket readers get
  // the media type alone, as the Promise path gives it (stored-content-type.ts).
  const contentType = mediaTypeOf(result.contentType());
  if (contentType !== '') {
    position = (position + 3) & ~3;
    view.setUint16(vtable + 12, resultContentType, true);
    view.setUint32(table + resultContentType, position - (table + resultContentType), true);
    position = writeString(position, contentType);
  }
  if (result.hasValue) {
    const value = result.valueView();
    position = (position + 3) & ~3;
    ensureCapacity(position + 4 + value.byteLength);
    view.setUint16(vtable + 14, resultValue, true);
    view.setUint32(table + resultValue, position - (table + resultValue), true);
    view.setUint32(position, value.byteLength, true);
    bytes.set(value, position + 4);
    position += 4 + value.byteLength;
  }
  return position;
}

/**
 * The Response frame of a one-op request, written from the engine's result view (null: the shard
 * died before answering, ShardUnavailable). Returns a view into the reused buffer, valid until the
 * next frame written here; copy it at once, then call releaseLargeResponseBuffer().
 */
export function writeSingleResultFrame(id: number, result: ResultView | null): Uint8Array {
  ensureCapacity(resultsVector + 8);
  const end = writeResult(writeHead(id, 1), 0, result);
  return bytes.subarray(0, end);
}

/** The results of a several-op request as views, one per op. */
export interface ResultViewSource {
  readonly count: number;
  /** Op `index`'s result (null: ShardUnavailable); valid until the next call. */
  at(index: number): ResultView | null;
}

/** As writeSingleResultFrame, for a request of several ops. */
export function writeResultsFrame(id: number, results: ResultViewSource): Uint8Array {
  const count = results.count;
  ensureCapacity(resultsVector + 4 + 4 * count);
  let position = writeHead(id, count);
  for (let index = 0; index < count; index++) position = writeResult(position, index, results.at(index));
  return bytes.subarray(0, position);
}
