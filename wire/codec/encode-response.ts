// Server side: the results of one request into a ServerFrame carrying a Response. Each encoder
// comes in two forms: a copy the caller owns, and a `...View` into a shared buffer (valid until
// the next frame is begun) for a caller that copies it at once into its own buffer: the WebSocket
// outbox, which so allocates no ArrayBuffer per response. The key ops' views are written by hand
// (response-writer.ts); the rest (scans, failures, the Promise path) go through the Builder.

import type * as flatbuffers from 'flatbuffers';
import {
  Response,
  Result,
  ScannedRecord as WireScannedRecord,
  ServerFrame,
  ServerMessage,
} from '../../schemas/generated/tessera_generated';
import { Status } from '../../engine/layout/status';
import type { OpResult, ScannedRecord, ScanPage } from '../../engine/layout/types';
import { beginFrame, createOffsetVector, endFrame, endFrameView, pendingOffsetCount, pushOffset } from './frame-builder';
import type { ResultView } from '../../engine/front/result-sink';
import { assert } from '../../engine/layout/assert';
import { writeResultsFrame, writeSingleResultFrame } from './response-writer';
import { isUint32, isUint64Number } from '../../engine/layout/uint64';
import type { ResultInput, StatusResult } from './wire-types';

/** One Response frame: one result per op of request `id`, in op order. */
export function encodeResponse(id: number, results: readonly ResultInput[]): Uint8Array {
  return endFrame(responseRoot(id, results));
}

/** encodeResponse as a view into the shared builder (see the top of this file). */
export function encodeResponseView(id: number, results: readonly ResultInput[]): Uint8Array {
  return endFrameView(responseRoot(id, results));
}

/**
 * The Response of a one-op request, written straight from the engine's result view (no OpResult
 * object, no copy of the value before the frame's): the WebSocket fast path, written by hand
 * (response-writer.ts). A null view means the shard died before answering (ShardUnavailable), as
 * readOpResult says. Returns a view into the writer's buffer: copy it, then releaseLargeResponseBuffer().
 */
export function encodeSingleResultView(id: number, result: ResultView | null): Uint8Array {
  return writeSingleResultFrame(id, result);
}

/** The results of a request as views, one per op (a store of results held until the last arrived). */
export interface ResultViewList {
  readonly count: number;
  /** Op `index`'s result; valid until the next call. */
  at(index: number): ResultView;
}

/**
 * The Response of a several-op request, written from result views (no OpResult objects), by hand
 * as encodeSingleResultView. Returns a view into the writer's buffer.
 */
export function encodeResultViewsView(id: number, results: ResultViewList): Uint8Array {
  return writeResultsFrame(id, results);
}

function responseRoot(id: number, results: readonly ResultInput[]): flatbuffers.Offset {
  assert(isUint64Number(id), 'a response id is an integer in 0..2^53-1');
  const builder = beginFrame();
  const start = pendingOffsetCount();
  for (const result of results) pushOffset(encodeResult(builder, result));
  const resultsVector = createOffsetVector(builder, start);
  return endResponseFrame(builder, id, Status.Ok, 0, resultsVector);
}

/**
 * A Response saying the whole request failed (MalformedRequest, TooManyOps, FrameTooLarge, Busy,
 * ShuttingDown...), with no results. `id` is null when the request's id could not be read.
 */
export function encodeRequestFailure(id: number | null, status: Status, message?: string): Uint8Array {
  return endFrame(requestFailureRoot(id, status, message));
}

/** encodeRequestFailure as a view into the shared builder (see the top of this file). */
export function encodeRequestFailureView(id: number | null, status: Status, message?: string): Uint8Array {
  return endFrameView(requestFailureRoot(id, status, message));
}

function requestFailureRoot(id: number | null, status: Status, message?: string): flatbuffers.Offset {
  assert(status !== Status.Ok, 'a request failure has a failing status');
  assert(id === null || isUint64Number(id), 'a response id is an integer in 0..2^53-1');
  const builder = beginFrame();
  const messageOffset = message === undefined ? 0 : builder.createString(message);
  return endResponseFrame(builder, id, status, messageOffset, 0);
}

/** The Response table inside its ServerFrame; returns the root to finish. */
function endResponseFrame(
  builder: flatbuffers.Builder,
  id: number | null,
  status: Status,
  message: flatbuffers.Offset,
  results: flatbuffers.Offset,
): flatbuffers.Offset {
  Response.startResponse(builder);
  if (id !== null) {
    // An optional scalar: forced, or an id of 0 would read back as "missing" (flatc 2.0.8).
    builder.forceDefaults(true);
    Response.addId(builder, BigInt(id));
    builder.forceDefaults(false);
  }
  Response.addStatus(builder, status);
  if (message !== 0) Response.addMessage(builder, message);
  if (results !== 0) Response.addResults(builder, results);
  const response = Response.endResponse(builder);
  return ServerFrame.createServerFrame(builder, ServerMessage.Response, response);
}

function encodeResult(builder: flatbuffers.Builder, result: ResultInput): flatbuffers.Offset {
  if ('records' in result) return encodeScanPage(builder, result);
  if ('generation' in result) return encodeOpResult(builder, result);
  if ('deleted' in result) {
    assert(isUint32(result.deleted), 'a purge count is uint32');
    Result.startResult(builder);
    Result.addStatus(builder, result.status);
    Result.addDeleted(builder, result.deleted);
    return Result.endResult(builder);
  }
  return encodeStatusResult(builder, result);
}

function encodeOpResult(builder: flatbuffers.Builder, result: OpResult): flatbuffers.Offset {
  assert(isUint32(result.generation) && isUint32(result.expiry), 'generation and expiry are uint32');
  const contentType = result.contentType === '' ? 0 : builder.createString(result.contentType);
  const value = result.value === null ? 0 : builder.createByteVector(result.value);
  Result.startResult(builder);
  Result.addStatus(builder, result.status);
  Result.addGeneration(builder, result.generation);
  Result.addExpiry(builder, result.expiry);
  Result.addLastModified(builder, result.lastModified);
  if (contentType !== 0) Result.addContentType(builder, contentType);
  if (value !== 0) Result.addValue(builder, value);
  Result.addCreated(builder, result.created);
  return Result.endResult(builder);
}

function encodeScanPage(builder: flatbuffers.Builder, page: ScanPage): flatbuffers.Offset {
  const start = pendingOffsetCount();
  for (const record of page.records) pushOffset(encodeScannedRecord(builder, record));
  // Always written, even empty: an empty page of a scan is not "no records field".
  const records = createOffsetVector(builder, start);
  const cursor = page.cursor === null ? 0 : builder.createString(page.cursor);
  Result.startResult(builder);
  Result.addRecords(builder, records);
  if (cursor !== 0) Result.addCursor(builder, cursor);
  return Result.endResult(builder);
}

function encodeScannedRecord(builder: flatbuffers.Builder, record: ScannedRecord): flatbuffers.Offset {
  assert(isUint32(record.generation) && isUint32(record.expiry), 'generation and expiry are uint32');
  const key = builder.createByteVector(record.key);
  const value = record.value === null ? 0 : builder.createByteVector(record.value);
  const contentType = record.contentType === '' ? 0 : builder.createString(record.contentType);
  WireScannedRecord.startScannedRecord(builder);
  WireScannedRecord.addKey(builder, key);
  if (value !== 0) WireScannedRecord.addValue(builder, value);
  WireScannedRecord.addGeneration(builder, record.generation);
  WireScannedRecord.addExpiry(builder, record.expiry);
  WireScannedRecord.addLastModified(builder, record.lastModified);
  if (contentType !== 0) WireScannedRecord.addContentType(builder, contentType);
  return WireScannedRecord.endScannedRecord(builder);
}

function encodeStatusResult(builder: flatbuffers.Builder, result: StatusResult): flatbuffers.Offset {
  const message = result.message === undefined ? 0 : builder.createString(result.message);
  Result.startResult(builder);
  Result.addStatus(builder, result.status);
  if (message !== 0) Result.addMessage(builder, message);
  return Result.endResult(builder);
}
