// Client side: a ServerFrame into a response or an event. Verified first, like requests on the
// server: a client must not trust the bytes it is sent either.

import * as flatbuffers from 'flatbuffers';
import {
  Event,
  EventKind,
  Response,
  Result,
  ScannedRecord as WireScannedRecord,
  ServerFrame,
  ServerMessage,
} from '../../schemas/generated/tessera_generated';
import type { Change, ChangeGap, ChangeKind, ScannedRecord } from '../../engine/layout/types';
import { assert } from '../../engine/layout/assert';
import { serverFrameLayout } from './schema-layout';
import { uint64ToNumber } from '../../engine/layout/uint64';
import { ownedCopy } from './owned-bytes';
import { verifyFrame } from './verify-frame';
import type { EventFrame, ResponseFrame, ServerFrameDecoded, WireResult } from './wire-types';

/** Shared by every result that is not a scan page; frozen so no caller can fill it. */
const noRecords: readonly ScannedRecord[] = Object.freeze([]);

// Reused by every frame (decoding is synchronous and never re-entered): the accessors are
// cursors that hold no data of their own, and a ByteBuffer constructs a TextDecoder, so one per
// frame is an allocation per response the client can skip. What a decode returns (values, keys:
// views of `bytes`; strings) never refers to them.
const frameAccessor = new ServerFrame();
const responseAccessor = new Response();
const resultAccessor = new Result();
const reusedByteBuffer = new flatbuffers.ByteBuffer(new Uint8Array(0));
/** The runtime keeps its bytes in `bytes_` (flatbuffers 23-25); checked once, else a ByteBuffer per frame. */
const byteBufferReusable = (reusedByteBuffer as unknown as { bytes_?: unknown }).bytes_ instanceof Uint8Array;

function byteBufferOver(bytes: Uint8Array): flatbuffers.ByteBuffer {
  if (!byteBufferReusable) return new flatbuffers.ByteBuffer(bytes);
  (reusedByteBuffer as unknown as { bytes_: Uint8Array }).bytes_ = bytes;
  reusedByteBuffer.setPosition(0);
  return reusedByteBuffer;
}

/**
 * Decodes one server frame. Never throws: bytes that are not a valid frame give
 * `{ type: 'invalid' }`. Values and keys are views into `bytes`; with `borrowed` (bytes the caller
 * will not keep, such as a view of a socket's read buffer) a response's values and keys are
 * copies (owned-bytes.ts), and an event is decoded from a copy of the frame.
 */
export function decodeServerFrame(bytes: Uint8Array, borrowed = false): ServerFrameDecoded {
  const verification = verifyFrame(bytes, serverFrameLayout);
  if (!verification.ok) return { type: 'invalid', message: verification.message };
  let frame = ServerFrame.getRootAsServerFrame(byteBufferOver(bytes), frameAccessor);
  switch (frame.messageType()) {
    case ServerMessage.Response: {
      const response: Response | null = frame.message(responseAccessor);
      assert(response !== null, 'a verified frame has its union value');
      return decodeResponse(response, borrowed);
    }
    case ServerMessage.Event: {
      // The same verified bytes, copied: the event's key and value are views of the copy.
      if (borrowed) frame = ServerFrame.getRootAsServerFrame(byteBufferOver(bytes.slice()), frameAccessor);
      const event: Event | null = frame.message(new Event());
      assert(event !== null, 'a verified frame has its union value');
      return decodeEvent(event);
    }
    case ServerMessage.NONE:
      break;
  }
  // The verifier requires a union type naming a member.
  assert(false, 'a verified server frame names a union member');
}

function decodeResponse(response: Response, borrowed: boolean): ResponseFrame | ServerFrameDecoded {
  const idBig = response.id();
  const id = idBig === null ? null : uint64ToNumber(idBig);
  if (idBig !== null && id === null) return { type: 'invalid', message: 'Response.id: above 2^53-1' };
  const count = response.resultsLength();
  const results: WireResult[] = new Array<WireResult>(count);
  for (let index = 0; index < count; index++) {
    const result = response.results(index, resultAccessor);
    assert(result !== null, 'a verified response has its results vector');
    results[index] = decodeResult(result, borrowed);
  }
  return { type: 'response', id, status: response.status(), message: response.message(), results };
}

function decodeResult(result: Result, borrowed: boolean): WireResult {
  const value = result.valueArray();
  return {
    status: result.status(),
    generation: result.generation(),
    expiry: result.expiry(),
    lastModified: result.lastModified(),
    contentType: result.contentType() ?? '',
    value: borrowed && value !== null ? ownedCopy(value) : value,
    created: result.created(),
    records: result.recordsLength() === 0 ? noRecords : decodeRecords(result, borrowed),
    cursor: result.cursor(),
    message: result.message(),
    deleted: result.deleted(),
  };
}

function decodeRecords(result: Result, borrowed: boolean): ScannedRecord[] {
  const count = result.recordsLength();
  const records: ScannedRecord[] = new Array<ScannedRecord>(count);
  const accessor = new WireScannedRecord();
  for (let index = 0; index < count; index++) {
    const record = result.records(index, accessor);
    assert(record !== null, 'a verified result has its records vector');
    const key = record.keyArray();
    assert(key !== null, 'a verified record has its key');
    const value = record.valueArray();
    records[index] = {
      key: borrowed ? ownedCopy(key) : key,
      value: borrowed && value !== null ? ownedCopy(value) : value,
      generation: record.generation(),
      expiry: record.expiry(),
      lastModified: record.lastModified(),
      contentType: record.contentType() ?? '',
    };
  }
  return records;
}

function decodeEvent(event: Event): EventFrame | ServerFrameDecoded {
  const subId = event.subId();
  const kind = event.kind();
  if (kind === EventKind.Gap) {
    const oldestLsn = uint64ToNumber(event.oldestLsn());
    if (oldestLsn === null) return { type: 'invalid', message: 'Event.oldest_lsn: above 2^53-1' };
    const gap: ChangeGap = { gap: true, oldestLsn };
    return { type: 'event', subId, change: gap };
  }
  const lsn = uint64ToNumber(event.lsn());
  const ns = event.namespace();
  const key = event.keyArray();
  if (lsn === null || ns === null || key === null) {
    return { type: 'invalid', message: 'Event: a change needs an lsn below 2^53, a namespace and a key' };
  }
  const change: Change = {
    lsn,
    kind: changeKindOf(kind),
    ns,
    key,
    generation: event.generation(),
    expiry: event.expiry(),
    lastModified: event.lastModified(),
    contentType: event.contentType() ?? '',
    value: event.valueArray(),
  };
  // Only an event with tags gets the field, as the change log does (a view into the frame).
  const tags = event.tags(flatbuffers.Encoding.UTF8_BYTES);
  if (tags instanceof Uint8Array && tags.length > 0) return { type: 'event', subId, change: { ...change, tags } };
  return { type: 'event', subId, change };
}

function changeKindOf(kind: EventKind): ChangeKind {
  switch (kind) {
    case EventKind.Put:
      return 'put';
    case EventKind.Delete:
      return 'delete';
    case EventKind.Touch:
      return 'touch';
    case EventKind.Expired:
      return 'expired';
    case EventKind.Evicted:
      return 'evicted';
    case EventKind.Gap:
      break;
  }
  assert(false, 'a gap is decoded before its kind is mapped');
}
