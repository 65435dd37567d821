// Client side: a ServerFrame into a response or an event. Verified first, like requests on the
// server: a client must not trust the bytes it is sent either.

import * as flatbuffers from 'flatbuffers';
import {
  Event,
  EventBatch,
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
import type { EventBatchFrame, EventFrame, ResponseFrame, ServerFrameDecoded, WireResult } from './wire-types';

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
      // new Uint8Array(bytes) copies even a Buffer, whose slice() would be a view.
      if (borrowed) frame = ServerFrame.getRootAsServerFrame(byteBufferOver(new Uint8Array(bytes)), frameAccessor);
      const event: Event | null = frame.message(eventAccessor);
      assert(event !== null, 'a verified frame has its union value');
      return decodeEvent(event);
    }
    case ServerMessage.EventBatch: {
      // As for one event: the keys and values are views of a copy of borrowed bytes.
      if (borrowed) frame = ServerFrame.getRootAsServerFrame(byteBufferOver(new Uint8Array(bytes)), frameAccessor);
      const batch: EventBatch | null = frame.message(batchAccessor);
      assert(batch !== null, 'a verified frame has its union value');
      return decodeEventBatch(batch);
    }
    case ServerMessage.NONE:
      break;
  }
  // The verifier requires a union type naming a member.
  assert(false, 'a verified server frame names a union member');
}

function decodeResponse(response: Response, borrowed: boolean): ResponseFrame | ServerFrameDecoded {
  const id = responseId(response);
  if (id === idAboveSafe) return { type: 'invalid', message: 'Response.id: above 2^53-1' };
  const count = response.resultsLength();
  const results: WireResult[] = new Array<WireResult>(count);
  for (let index = 0; index < count; index++) {
    const result = response.results(index, resultAccessor);
    assert(result !== null, 'a verified response has its results vector');
    results[index] = decodeResult(result, borrowed);
  }
  return { type: 'response', id, status: response.status(), message: response.message(), results };
}

/** Response's id field (slot 0, vtable offset 4). */
const responseIdVtableOffset = 4;
const twoTo32 = 2 ** 32;
/** responseId's answer for an id above 2^53-1. */
const idAboveSafe = -1;

/**
 * response.id() without the BigInt the generated accessor makes per frame: the uint64 as two
 * little-endian words (verified inside the frame). null when absent, idAboveSafe when above
 * Number.MAX_SAFE_INTEGER.
 */
function responseId(response: Response): number | null {
  const bb = response.bb!;
  const offset = bb.__offset(response.bb_pos, responseIdVtableOffset);
  if (offset === 0) return null;
  const low = bb.readUint32(response.bb_pos + offset);
  const high = bb.readUint32(response.bb_pos + offset + 4);
  if (high > 0x1fffff) return idAboveSafe;
  return high * twoTo32 + low;
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

/** Bounded by eventsPerBatchMax (the verifier refuses a longer vector). */
function decodeEventBatch(batch: EventBatch): EventBatchFrame | ServerFrameDecoded {
  const count = batch.eventsLength();
  const events: EventFrame[] = new Array<EventFrame>(count);
  for (let index = 0; index < count; index++) {
    const event = batch.events(index, eventAccessor);
    assert(event !== null, 'a verified batch has its events vector');
    const decoded = decodeEvent(event);
    if (decoded.type !== 'event') return decoded;
    events[index] = decoded;
  }
  return { type: 'events', events };
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
  const lsn = eventLsn(event);
  const nsBytes = event.namespace(flatbuffers.Encoding.UTF8_BYTES);
  const key = event.keyArray();
  if (lsn < 0 || !(nsBytes instanceof Uint8Array) || key === null) {
    return { type: 'invalid', message: 'Event: a change needs an lsn below 2^53, a namespace and a key' };
  }
  const contentTypeBytes = event.contentType(flatbuffers.Encoding.UTF8_BYTES);
  const change: Change = {
    lsn,
    kind: changeKindOf(kind),
    ns: namespaceCache.text(nsBytes),
    key,
    generation: event.generation(),
    expiry: event.expiry(),
    lastModified: event.lastModified(),
    contentType: contentTypeBytes instanceof Uint8Array ? contentTypeCache.text(contentTypeBytes) : '',
    value: event.valueArray(),
  };
  // Only an event with tags gets the field, as the change log does (a view into the frame).
  const tags = event.tags(flatbuffers.Encoding.UTF8_BYTES);
  if (tags instanceof Uint8Array && tags.length > 0) return { type: 'event', subId, change: { ...change, tags } };
  return { type: 'event', subId, change };
}

/**
 * Event.lsn as a number, -1 above 2^53-1, read as two uint32 halves: the generated accessor
 * makes a BigInt per event. Field slot 6 is `lsn` (schema-layout.ts names the same order).
 */
function eventLsn(event: Event): number {
  const bb = event.bb;
  assert(bb !== null, 'an accessor over a frame');
  const offset = bb.__offset(event.bb_pos, lsnSlot);
  if (offset === 0) return 0;
  const low = bb.readUint32(event.bb_pos + offset);
  const high = bb.readUint32(event.bb_pos + offset + 4);
  return high > safeIntegerHighMax ? -1 : high * 0x1_0000_0000 + low;
}

const lsnSlot = 6;
/** The high 32 bits of 2^53-1. */
const safeIntegerHighMax = 0x1f_ffff;

/**
 * The text of a short string field that repeats from event to event (a namespace, a media type):
 * decoded once and kept while the bytes stay the same, so an event costs a byte comparison rather
 * than a UTF-8 decode. The verifier has checked the bytes are UTF-8.
 */
class RepeatedText {
  #bytes = new Uint8Array(0);
  #text = '';

  text(bytes: Uint8Array): string {
    if (!bytesEqual(bytes, this.#bytes)) {
      this.#text = textDecoder.decode(bytes);
      this.#bytes = bytes.slice();
    }
    return this.#text;
  }
}

function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.byteLength !== right.byteLength) return false;
  for (let index = 0; index < left.byteLength; index++) if (left[index] !== right[index]) return false;
  return true;
}

const textDecoder = new TextDecoder();
const namespaceCache = new RepeatedText();
const contentTypeCache = new RepeatedText();

const eventAccessor = new Event();
const batchAccessor = new EventBatch();

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
