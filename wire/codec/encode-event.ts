// Server side: one change (or a gap) seen by a subscription into a ServerFrame carrying an Event,
// or several changes into one carrying an EventBatch (a subscriber that is behind).

import { mediaTypeOf } from '../../engine/layout/stored-content-type';
import * as flatbuffers from 'flatbuffers';
import { Event, EventBatch, EventKind, ServerFrame, ServerMessage } from '../../schemas/generated/tessera_generated';
import type { Change, ChangeGap, ChangeKind } from '../../engine/layout/types';
import { beginFrame, createOffsetVector, endFrame, pendingOffsetCount, pushOffset } from './frame-builder';
import { eventsPerBatchMax, frameIdentifier } from './schema-layout';
import { assert } from '../../engine/layout/assert';
import { isUint32, isUint64Number } from '../../engine/layout/uint64';

/** Estimated bytes of a batch frame above which the encoder's callers start a new frame. */
export const eventBatchBytesMax = 64 * 1024;

/**
 * One Event frame for subscription `subId` (0 = published to a topic, for every subscriber of
 * it). `includeValue` false leaves the value out, for subscriptions that asked for no values.
 */
export function encodeEvent(subId: number, change: Change | ChangeGap, includeValue = true): Uint8Array {
  assert(isUint32(subId), 'a subscription id is uint32');
  const builder = beginFrame();
  const event = 'gap' in change ? addGap(builder, subId, change) : addChange(builder, subId, change, includeValue, 0);
  return endFrame(ServerFrame.createServerFrame(builder, ServerMessage.Event, event));
}

/**
 * The first `count` changes of `changes` (LSN order) as one frame: an Event frame when there is
 * one, else an EventBatch whose events all carry `subId`. `includeValue[i]` says whether change
 * i goes with its value. One encode per event; the namespace string is written once per run of
 * events in the same namespace. The caller bounds the batch (eventsPerBatchMax events,
 * about eventBatchBytesMax bytes by eventBytesEstimate).
 */
export function encodeEvents(subId: number, changes: readonly Change[], includeValue: readonly boolean[], count: number): Uint8Array {
  assert(isUint32(subId), 'a subscription id is uint32');
  assert(count >= 1 && count <= eventsPerBatchMax && count <= changes.length && count <= includeValue.length, 'a batch holds 1..eventsPerBatchMax events');
  if (count === 1) return encodeEvent(subId, changes[0] as Change, includeValue[0] === true);
  const builder = beginFrame();
  const mark = pendingOffsetCount();
  let namespaceText = '';
  let namespace = 0;
  // Bounded by eventsPerBatchMax.
  for (let index = 0; index < count; index++) {
    const change = changes[index] as Change;
    if (namespace === 0 || change.ns !== namespaceText) {
      namespaceText = change.ns;
      namespace = builder.createString(namespaceText);
    }
    pushOffset(addChange(builder, subId, change, includeValue[index] === true, namespace));
  }
  const events = createOffsetVector(builder, mark);
  const batch = EventBatch.createEventBatch(builder, events);
  return endFrame(ServerFrame.createServerFrame(builder, ServerMessage.EventBatch, batch));
}

/** What one change adds to a batch frame, near enough to bound a frame's size. */
export function eventBytesEstimate(change: Change, includeValue: boolean): number {
  const value = includeValue && change.value !== null ? change.value.byteLength : 0;
  const tags = change.tags != null ? change.tags.byteLength : 0;
  return eventFixedBytes + change.ns.length + change.key.byteLength + change.contentType.length + value + tags;
}

/** An event's table, vtable and vector headers, rounded up. */
const eventFixedBytes = 96;

function addGap(builder: flatbuffers.Builder, subId: number, change: ChangeGap): flatbuffers.Offset {
  assert(isUint64Number(change.oldestLsn), 'an LSN is an integer in 0..2^53-1');
  Event.startEvent(builder);
  Event.addSubId(builder, subId);
  Event.addKind(builder, EventKind.Gap);
  Event.addOldestLsn(builder, BigInt(change.oldestLsn));
  return Event.endEvent(builder);
}

/** `sharedNamespace`: the namespace string already in the builder, or 0 to write it here. */
function addChange(builder: flatbuffers.Builder, subId: number, change: Change, includeValue: boolean, sharedNamespace: flatbuffers.Offset): flatbuffers.Offset {
  assert(isUint64Number(change.lsn), 'an LSN is an integer in 0..2^53-1');
  assert(isUint32(change.generation) && isUint32(change.expiry), 'generation and expiry are uint32');
  const namespace = sharedNamespace !== 0 ? sharedNamespace : builder.createString(change.ns);
  const key = builder.createByteVector(change.key);
  // The change log keeps a record's stored content type whole (the WAL and replicas need the
  // Cache-Control in it); subscribers get the media type alone.
  const mediaType = mediaTypeOf(change.contentType);
  const contentType = mediaType === '' ? 0 : builder.createString(mediaType);
  const value = includeValue && change.value !== null ? builder.createByteVector(change.value) : 0;
  // A put's new tags or a removed record's (ASCII bytes, joined by spaces) go out as they are: a
  // tag subscriber's client keeps the shared-stream events whose tags include its tag.
  const tags = change.tags != null && change.tags.length > 0 ? builder.createString(change.tags) : 0;
  Event.startEvent(builder);
  Event.addSubId(builder, subId);
  Event.addLsn(builder, BigInt(change.lsn));
  Event.addKind(builder, eventKindOf(change.kind));
  Event.addNamespace(builder, namespace);
  Event.addKey(builder, key);
  Event.addGeneration(builder, change.generation);
  Event.addExpiry(builder, change.expiry);
  Event.addLastModified(builder, change.lastModified);
  if (contentType !== 0) Event.addContentType(builder, contentType);
  if (value !== 0) Event.addValue(builder, value);
  if (tags !== 0) Event.addTags(builder, tags);
  return Event.endEvent(builder);
}

function eventKindOf(kind: ChangeKind): EventKind {
  switch (kind) {
    case 'put':
      return EventKind.Put;
    case 'delete':
      return EventKind.Delete;
    case 'touch':
      return EventKind.Touch;
    case 'expired':
      return EventKind.Expired;
    case 'evicted':
      return EventKind.Evicted;
  }
}

/**
 * A run builder larger than this after a frame is replaced (see frame-builder.ts). Up to it the
 * grown builder is kept: a stream of large values (1 MiB each) otherwise grew a fresh builder
 * from 16 KiB by doubling for every event, about 4 MiB of ArrayBuffers per event left to the GC,
 * which made the server's RSS under such a stream depend on when V8 collected them.
 */
const runBuilderBytesRetainedMax = 4 * 1024 * 1024;
const runBuilderBytesInitial = 16 * 1024;
/** Room beyond an event's estimate, so that a builder sized for it does not double at its end. */
const runBuilderSlackBytes = 4 * 1024;

/**
 * Builds one frame of events added one at a time, over several calls: the subscription hub adds
 * each change as the change log hands it over (the change is valid during that call only, so it
 * is encoded at once), then finishes the frame at the end of the turn. One event finishes as a
 * plain Event frame, more as an EventBatch. Its own Builder, apart from the shared frame builder,
 * which other frames use between the adds.
 */
export class EventRunBuilder {
  #builder = new flatbuffers.Builder(runBuilderBytesInitial);
  /** False after a finish until the next add clears the builder (finishView's view lives till then). */
  #cleared = true;
  readonly #offsets: flatbuffers.Offset[] = [];
  #namespaceText = '';
  #namespace = 0;
  #subId = 0;

  get count(): number {
    return this.#offsets.length;
  }

  /** Encodes the change now (its bytes may be reused after the caller returns). */
  add(subId: number, change: Change, includeValue: boolean): void {
    assert(isUint32(subId), 'a subscription id is uint32');
    assert(this.#offsets.length < eventsPerBatchMax, 'a batch holds at most eventsPerBatchMax events');
    assert(this.#offsets.length === 0 || subId === this.#subId, 'one sub id per frame');
    // The first event of a frame that would outgrow the builder: one builder of its size, not a
    // series of doublings (each a copy and a dropped ArrayBuffer).
    if (this.#offsets.length === 0) {
      const needed = eventBytesEstimate(change, includeValue) + runBuilderSlackBytes;
      if (needed > this.#builder.dataBuffer().capacity()) this.#builder = new flatbuffers.Builder(needed);
      else if (!this.#cleared) this.#builder.clear();
      this.#cleared = true;
    }
    const builder = this.#builder;
    if (this.#namespace === 0 || change.ns !== this.#namespaceText) {
      this.#namespaceText = change.ns;
      this.#namespace = builder.createString(change.ns);
    }
    this.#subId = subId;
    this.#offsets.push(addChange(builder, subId, change, includeValue, this.#namespace));
  }

  /**
   * The frame of the events added since the last finish, then empty: a view of the builder's
   * bytes, valid until the next add, for a caller that hands it on at once to something that
   * copies it (uWS's publish copies into its topic tree).
   */
  finishView(): Uint8Array {
    const count = this.#offsets.length;
    assert(count >= 1, 'a frame holds at least one event');
    const builder = this.#builder;
    let root: flatbuffers.Offset;
    if (count === 1) {
      root = ServerFrame.createServerFrame(builder, ServerMessage.Event, this.#offsets[0] as flatbuffers.Offset);
    } else {
      builder.startVector(4, count, 4);
      // FlatBuffers builds back to front: the last element is written first.
      for (let index = count - 1; index >= 0; index--) builder.addOffset(this.#offsets[index] as flatbuffers.Offset);
      root = ServerFrame.createServerFrame(builder, ServerMessage.EventBatch, EventBatch.createEventBatch(builder, builder.endVector()));
    }
    builder.finish(root, frameIdentifier);
    const frame = builder.asUint8Array();
    this.#reset();
    return frame;
  }

  #reset(): void {
    this.#offsets.length = 0;
    this.#namespaceText = '';
    this.#namespace = 0;
    // A builder too large to keep is replaced after its frame was taken (a view of the old one
    // stays valid: the old buffer is not reused); one kept is cleared only at the next add.
    if (this.#builder.dataBuffer().capacity() > runBuilderBytesRetainedMax) {
      this.#builder = new flatbuffers.Builder(runBuilderBytesInitial);
      this.#cleared = true;
    } else {
      this.#cleared = false;
    }
  }
}
