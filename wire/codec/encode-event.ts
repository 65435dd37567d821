// Server side: one change (or a gap) seen by a subscription into a ServerFrame carrying an Event.

import { mediaTypeOf } from '../../engine/layout/stored-content-type';
import { Event, EventKind, ServerFrame, ServerMessage } from '../../schemas/generated/tessera_generated';
import type { Change, ChangeGap, ChangeKind } from '../../engine/layout/types';
import { beginFrame, endFrame } from './frame-builder';
import { assert } from '../../engine/layout/assert';
import { isUint32, isUint64Number } from '../../engine/layout/uint64';

/**
 * One Event frame for subscription `subId` (0 = published to a topic, for every subscriber of
 * it). `includeValue` false leaves the value out, for subscriptions that asked for no values.
 */
export function encodeEvent(subId: number, change: Change | ChangeGap, includeValue = true): Uint8Array {
  assert(isUint32(subId), 'a subscription id is uint32');
  const builder = beginFrame();
  if ('gap' in change) {
    assert(isUint64Number(change.oldestLsn), 'an LSN is an integer in 0..2^53-1');
    Event.startEvent(builder);
    Event.addSubId(builder, subId);
    Event.addKind(builder, EventKind.Gap);
    Event.addOldestLsn(builder, BigInt(change.oldestLsn));
    return endFrame(ServerFrame.createServerFrame(builder, ServerMessage.Event, Event.endEvent(builder)));
  }
  assert(isUint64Number(change.lsn), 'an LSN is an integer in 0..2^53-1');
  assert(isUint32(change.generation) && isUint32(change.expiry), 'generation and expiry are uint32');
  const namespace = builder.createString(change.ns);
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
  return endFrame(ServerFrame.createServerFrame(builder, ServerMessage.Event, Event.endEvent(builder)));
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
