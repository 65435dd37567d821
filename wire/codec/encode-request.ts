// Client side: a batch of ops into one Request frame.

import * as flatbuffers from 'flatbuffers';
import { Op, OpKind, PutMode, Request } from '../../schemas/generated/tessera_generated';
import type { PutMode as PutModeName } from '../../engine/layout/types';
import { beginFrame, createKeyBytes, createUtf8String, createOffsetVector, endFrame, endFrameView, pendingOffsetCount, pushOffset } from './frame-builder';
import { assert } from '../../engine/layout/assert';
import { isUint32, isUint64Number } from '../../engine/layout/uint64';
import type { WireOp } from './wire-types';

/**
 * Encodes ops as one Request frame. Throws (RangeError, or a broken invariant) on values the
 * protocol cannot carry, such as a fractional ttl: callers check ops with validateOpArguments
 * first. It does not enforce opsPerRequestMax or namespace limits: that is the server's job.
 */
export function encodeRequest(id: number, ops: readonly WireOp[]): Uint8Array {
  const single = ops.length === 1 ? singleKeyFrame(id, ops[0]!) : null;
  return single !== null ? single.slice() : endFrame(requestRoot(id, ops));
}

/**
 * encodeRequest as a view into the shared builder, valid until the next frame is begun: for a
 * sender that copies it at once (ws without permessage-deflate), then calls releaseLargeBuilder().
 */
export function encodeRequestView(id: number, ops: readonly WireOp[]): Uint8Array {
  const single = ops.length === 1 ? singleKeyFrame(id, ops[0]!) : null;
  return single ?? endFrameView(requestRoot(id, ops));
}

/** The generic encoder alone (for tests that compare it with the single-op frames below). */
export function encodeRequestGeneric(id: number, ops: readonly WireOp[]): Uint8Array {
  return endFrame(requestRoot(id, ops));
}

// A request of one get or head is the same bytes for every call with the same namespace and key
// length, but for the id and the key: each such frame is built once by the generic encoder, with
// where its id and key lie, and later calls write their id and key into it. No builder work per
// call, and no allocation. The frame is shared like the builder's view: valid until the next
// request is encoded (encodeRequest copies it).

interface SingleKeyTemplate {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly idAt: number;
  readonly keyAt: number;
}

/** Keys longer than this go through the builder (the cache holds one frame per key length). */
const templateKeyLengthMax = 256;
/** Namespace names longer than this go through the builder (names are at most 64 characters). */
const templateNsLengthMax = 64;
/** Namespaces with templates, per op kind, at most (others go through the builder). */
const templateNamespacesMax = 64;
const getTemplates = new Map<string, (SingleKeyTemplate | undefined)[]>();
const headTemplates = new Map<string, (SingleKeyTemplate | undefined)[]>();

/** The frame of one get or head of an ASCII string key, from its template; null for anything else. */
function singleKeyFrame(id: number, op: WireOp): Uint8Array | null {
  if ((op.op !== 'get' && op.op !== 'head') || typeof op.key !== 'string') return null;
  const key = op.key;
  const length = key.length;
  if (length === 0 || length > templateKeyLengthMax || op.ns.length > templateNsLengthMax || !isUint64Number(id)) return null;
  const template = templateFor(op.op, op.ns, length);
  if (template === null) return null;
  const bytes = template.bytes;
  const keyAt = template.keyAt;
  for (let index = 0; index < length; index++) {
    const code = key.charCodeAt(index);
    if (code > 0x7f) return null; // not ASCII: its UTF-8 is longer than the template's key
    bytes[keyAt + index] = code;
  }
  template.view.setUint32(template.idAt, id % twoTo32, true);
  template.view.setUint32(template.idAt + 4, Math.floor(id / twoTo32), true);
  return bytes;
}

function templateFor(kind: 'get' | 'head', ns: string, keyLength: number): SingleKeyTemplate | null {
  const templates = kind === 'get' ? getTemplates : headTemplates;
  let byLength = templates.get(ns);
  if (byLength === undefined) {
    if (templates.size >= templateNamespacesMax) return null;
    byLength = [];
    templates.set(ns, byLength);
  }
  let template = byLength[keyLength];
  if (template === undefined) {
    template = buildTemplate(kind, ns, keyLength);
    byLength[keyLength] = template;
  }
  return template;
}

function buildTemplate(kind: 'get' | 'head', ns: string, keyLength: number): SingleKeyTemplate {
  const bytes = encodeRequestGeneric(0, [{ op: kind, ns, key: 'k'.repeat(keyLength) }]);
  const request = Request.getRootAsRequest(new flatbuffers.ByteBuffer(bytes));
  const idField = request.bb!.__offset(request.bb_pos, 4);
  const key = request.ops(0)?.keyArray() ?? null;
  assert(idField !== 0 && key !== null && key.length === keyLength, 'a single-key request has its id and key');
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), idAt: request.bb_pos + idField, keyAt: key.byteOffset - bytes.byteOffset };
}

function requestRoot(id: number, ops: readonly WireOp[]): flatbuffers.Offset {
  if (!isUint64Number(id)) throw new RangeError(`request id ${id} is not an integer in 0..2^53-1`);
  const builder = beginFrame();
  const start = pendingOffsetCount();
  for (const op of ops) pushOffset(encodeOp(builder, op));
  const opsVector = createOffsetVector(builder, start);
  Request.startRequest(builder);
  addIdField(builder, id);
  Request.addOps(builder, opsVector);
  return Request.endRequest(builder);
}

/** Request's id field (slot 0), a uint64. */
const requestIdSlot = 0;
const twoTo32 = 2 ** 32;

/**
 * What Request.addId(builder, BigInt(id)) writes with defaults forced (flatc 2.0.8 gives optional
 * scalars a default of 0, so an id of 0 would otherwise be dropped and read back as "missing"),
 * without the BigInts that costs per frame: the uint64 as two little-endian words, high word
 * first since FlatBuffers builds back to front. `id` is an integer in 0..2^53-1 (checked above).
 */
function addIdField(builder: flatbuffers.Builder, id: number): void {
  builder.prep(8, 0);
  builder.writeInt32(Math.floor(id / twoTo32) | 0);
  builder.writeInt32(id % twoTo32 | 0);
  builder.slot(requestIdSlot);
}

function encodeOp(builder: flatbuffers.Builder, op: WireOp): flatbuffers.Offset {
  // Children (strings, vectors) first: FlatBuffers cannot nest them inside an open table.
  switch (op.op) {
    case 'get':
    case 'head': {
      const ns = createUtf8String(builder, op.ns);
      const key = createKeyBytes(builder, op.key);
      Op.startOp(builder);
      Op.addKind(builder, op.op === 'get' ? OpKind.Get : OpKind.Head);
      Op.addNs(builder, ns);
      Op.addKey(builder, key);
      return Op.endOp(builder);
    }
    case 'put': {
      const ns = createUtf8String(builder, op.ns);
      const key = createKeyBytes(builder, op.key);
      const value = createKeyBytes(builder, op.value);
      const contentType = op.contentType === undefined ? 0 : createUtf8String(builder, op.contentType);
      const tags = op.tags === undefined || op.tags.length === 0 ? 0 : builder.createString(op.tags.join(' '));
      Op.startOp(builder);
      Op.addKind(builder, OpKind.Put);
      Op.addNs(builder, ns);
      Op.addKey(builder, key);
      Op.addValue(builder, value);
      if (op.mode !== undefined) Op.addMode(builder, putModeOf(op.mode));
      if (op.ifGeneration !== undefined) Op.addIfGeneration(builder, checkedUint32(op.ifGeneration, 'ifGeneration'));
      if (op.ttl !== undefined) Op.addTtl(builder, BigInt(op.ttl));
      if (contentType !== 0) Op.addContentType(builder, contentType);
      if (tags !== 0) Op.addTags(builder, tags);
      return Op.endOp(builder);
    }
    case 'delete': {
      const ns = createUtf8String(builder, op.ns);
      const key = createKeyBytes(builder, op.key);
      Op.startOp(builder);
      Op.addKind(builder, OpKind.Delete);
      Op.addNs(builder, ns);
      Op.addKey(builder, key);
      if (op.ifGeneration !== undefined) Op.addIfGeneration(builder, checkedUint32(op.ifGeneration, 'ifGeneration'));
      return Op.endOp(builder);
    }
    case 'touch': {
      const ns = createUtf8String(builder, op.ns);
      const key = createKeyBytes(builder, op.key);
      Op.startOp(builder);
      Op.addKind(builder, OpKind.Touch);
      Op.addNs(builder, ns);
      Op.addKey(builder, key);
      if (op.ttl !== undefined) Op.addTtl(builder, BigInt(op.ttl));
      return Op.endOp(builder);
    }
    case 'purge': {
      const ns = createUtf8String(builder, op.ns);
      const prefix = op.prefix === undefined ? 0 : createKeyBytes(builder, op.prefix);
      const tags = op.tags === undefined ? 0 : builder.createString(op.tags.join(' '));
      Op.startOp(builder);
      Op.addKind(builder, OpKind.Purge);
      Op.addNs(builder, ns);
      if (prefix !== 0) Op.addPrefix(builder, prefix);
      if (tags !== 0) Op.addTags(builder, tags);
      return Op.endOp(builder);
    }
    case 'scan': {
      const ns = createUtf8String(builder, op.ns);
      const prefix = op.prefix === undefined ? 0 : createKeyBytes(builder, op.prefix);
      const cursor = op.cursor === undefined ? 0 : builder.createString(op.cursor);
      Op.startOp(builder);
      Op.addKind(builder, OpKind.Scan);
      Op.addNs(builder, ns);
      if (prefix !== 0) Op.addPrefix(builder, prefix);
      if (op.limit !== undefined) Op.addLimit(builder, checkedUint32(op.limit, 'limit'));
      if (cursor !== 0) Op.addCursor(builder, cursor);
      if (op.values !== undefined) Op.addValues(builder, op.values);
      return Op.endOp(builder);
    }
    case 'subscribe': {
      const ns = createUtf8String(builder, op.ns);
      const key = op.key === undefined ? 0 : createKeyBytes(builder, op.key);
      const prefix = op.prefix === undefined ? 0 : createKeyBytes(builder, op.prefix);
      const tag = op.tag === undefined ? 0 : builder.createString(op.tag);
      Op.startOp(builder);
      Op.addKind(builder, OpKind.Subscribe);
      Op.addSubId(builder, checkedUint32(op.subId, 'subId'));
      Op.addNs(builder, ns);
      if (key !== 0) Op.addKey(builder, key);
      if (prefix !== 0) Op.addPrefix(builder, prefix);
      if (tag !== 0) Op.addTags(builder, tag);
      if (op.values !== undefined) Op.addValues(builder, op.values);
      if (op.fromLsn !== undefined) {
        if (!isUint64Number(op.fromLsn)) throw new RangeError(`fromLsn ${op.fromLsn} is not an integer in 0..2^53-1`);
        // An optional scalar: force it, or a fromLsn of 0 would read back as "from now".
        builder.forceDefaults(true);
        Op.addFromLsn(builder, BigInt(op.fromLsn));
        builder.forceDefaults(false);
      }
      return Op.endOp(builder);
    }
    case 'unsubscribe':
      Op.startOp(builder);
      Op.addKind(builder, OpKind.Unsubscribe);
      Op.addSubId(builder, checkedUint32(op.subId, 'subId'));
      return Op.endOp(builder);
  }
}

function putModeOf(mode: PutModeName): PutMode {
  switch (mode) {
    case 'upsert':
      return PutMode.Upsert;
    case 'create':
      return PutMode.Create;
    case 'update':
      return PutMode.Update;
  }
}

function checkedUint32(value: number, name: string): number {
  if (!isUint32(value)) throw new RangeError(`${name} ${value} is not an integer in 0..2^32-1`);
  return value;
}

assert(OpKind.Get === 0, 'get is the default op kind');
