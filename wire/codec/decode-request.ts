// Server side: a Request frame into plain ops. The frame is verified first (verify-frame.ts);
// only then do generated accessors read it. Every failure is a status for the whole request;
// checks that need a namespace's config are validateOp's (validate-op.ts), per op.

import * as flatbuffers from 'flatbuffers';
import { Op, OpKind, PutMode, Request } from '../../schemas/generated/tessera_generated';
import { contentTypeBytesMax, frameBytesMax, scanLimitMax, ttlSecMax } from '../../engine/layout/limits';
import { Status } from '../../engine/layout/status';
import type { PutMode as PutModeName } from '../../engine/layout/types';
import { assert } from '../../engine/layout/assert';
import { requestIdLayout, requestLayout } from './schema-layout';
import { uint64ToNumber } from '../../engine/layout/uint64';
import { verifyFrame } from './verify-frame';
import type { DecodeRequestResult, WireOp } from './wire-types';

/** The wire's ttl for "the namespace default" (absent in the decoded op). */
const ttlNamespaceDefault = -1n;
const ttlSecMaxBig = BigInt(ttlSecMax);
/** Strings of the ops are decoded with one decoder (the frame is verified: fatal is not needed). */
const textDecoder = new TextDecoder();

/** Why one op failed to decode; filled by decodeOp, read by decodeRequest. */
interface OpFailure {
  status: Status;
  message: string;
}

/** Decodes one Request frame. Never throws; see DecodeRequestResult for the lifetime of views. */
export function decodeRequest(bytes: Uint8Array): DecodeRequestResult {
  if (bytes.byteLength > frameBytesMax) {
    return failure(Status.FrameTooLarge, peekRequestId(bytes), `the frame has ${bytes.byteLength} bytes, at most ${frameBytesMax} allowed`);
  }
  const verification = verifyFrame(bytes, requestLayout);
  if (!verification.ok) return failure(verification.status, peekRequestId(bytes), verification.message);

  const request = Request.getRootAsRequest(new flatbuffers.ByteBuffer(bytes));
  const idBig = request.id();
  if (idBig === null) return failure(Status.MalformedRequest, null, 'Request.id: required field missing');
  const id = uint64ToNumber(idBig);
  if (id === null) return failure(Status.MalformedRequest, null, 'Request.id: above 2^53-1');

  const opCount = request.opsLength();
  const ops: WireOp[] = new Array<WireOp>(opCount);
  // One accessor object for every op of the frame, re-pointed by request.ops(index, accessor).
  const accessor = new Op();
  const opFailure: OpFailure = { status: Status.Ok, message: '' };
  for (let index = 0; index < opCount; index++) {
    const op = request.ops(index, accessor);
    assert(op !== null, 'a verified request has its ops vector');
    const decoded = decodeOp(op, opFailure);
    if (decoded === null) return failure(opFailure.status, id, `op ${index}: ${opFailure.message}`);
    ops[index] = decoded;
  }
  return { ok: true, id, ops };
}

function failure(status: Status, id: number | null, message: string): DecodeRequestResult {
  assert(status !== Status.Ok, 'a failure has a failing status');
  return { ok: false, status, id, message };
}

/** The id of a frame too broken to decode, when its root table and id at least are sound. */
function peekRequestId(bytes: Uint8Array): number | null {
  if (!verifyFrame(bytes, requestIdLayout).ok) return null;
  const id = Request.getRootAsRequest(new flatbuffers.ByteBuffer(bytes)).id();
  return id === null ? null : uint64ToNumber(id);
}

/** The op as a plain object, or null after filling `opFailure`. */
function decodeOp(op: Op, opFailure: OpFailure): WireOp | null {
  const kind = op.kind();
  switch (kind) {
    case OpKind.Get:
    case OpKind.Head: {
      const ns = op.ns();
      const key = op.keyArray();
      if (ns === null || key === null) return missing(opFailure, ns === null ? 'ns' : 'key');
      return kind === OpKind.Get ? { op: 'get', ns, key } : { op: 'head', ns, key };
    }
    case OpKind.Put:
      return decodePut(op, opFailure);
    case OpKind.Delete: {
      const ns = op.ns();
      const key = op.keyArray();
      if (ns === null || key === null) return missing(opFailure, ns === null ? 'ns' : 'key');
      return { op: 'delete', ns, key, ifGeneration: op.ifGeneration() };
    }
    case OpKind.Touch: {
      const ns = op.ns();
      const key = op.keyArray();
      if (ns === null || key === null) return missing(opFailure, ns === null ? 'ns' : 'key');
      const ttl = decodeTtl(op, opFailure);
      if (ttl === null) return null;
      return { op: 'touch', ns, key, ttl };
    }
    case OpKind.Scan:
      return decodeScan(op, opFailure);
    case OpKind.Subscribe:
      return decodeSubscribe(op, opFailure);
    case OpKind.Purge: {
      const ns = op.ns();
      if (ns === null) return missing(opFailure, 'ns');
      const prefix = op.prefixArray();
      const tags = op.tags();
      if ((prefix === null) === (tags === null)) return invalid(opFailure, 'purge needs a prefix or tags, not both');
      return prefix !== null ? { op: 'purge', ns, prefix } : { op: 'purge', ns, tags: splitTags(tags ?? '') };
    }
    case OpKind.Unsubscribe: {
      const subId = op.subId();
      if (subId === 0) return missing(opFailure, 'sub_id');
      return { op: 'unsubscribe', subId };
    }
  }
  // The verifier bounds the kind to the enum, so only a schema change without a case lands here.
  assert(false, `op kind ${String(kind)} has a decoder`);
}

function decodePut(op: Op, opFailure: OpFailure): WireOp | null {
  const ns = op.ns();
  const key = op.keyArray();
  const value = op.valueArray();
  if (ns === null || key === null || value === null) {
    return missing(opFailure, ns === null ? 'ns' : key === null ? 'key' : 'value');
  }
  const ttl = decodeTtl(op, opFailure);
  if (ttl === null) return null;
  const contentType = decodeContentType(op, opFailure);
  if (contentType === null) return null;
  const tags = op.tags();
  const put: WireOp = {
    op: 'put',
    ns,
    key,
    value,
    mode: putModeName(op.mode()),
    ifGeneration: op.ifGeneration(),
    ttl,
    contentType,
  };
  // Split as written; validateOp then checks each tag (an empty one from a double space included).
  if (tags !== null) put.tags = splitTags(tags);
  return put;
}

function decodeScan(op: Op, opFailure: OpFailure): WireOp | null {
  const ns = op.ns();
  if (ns === null) return missing(opFailure, 'ns');
  const limit = op.limit();
  if (limit > scanLimitMax) return invalid(opFailure, `limit ${limit} above ${scanLimitMax}`);
  return {
    op: 'scan',
    ns,
    prefix: op.prefixArray() ?? undefined,
    limit: limit === 0 ? undefined : limit,
    cursor: op.cursor() ?? undefined,
    values: op.values(),
  };
}

function decodeSubscribe(op: Op, opFailure: OpFailure): WireOp | null {
  const subId = op.subId();
  const ns = op.ns();
  if (subId === 0 || ns === null) return missing(opFailure, subId === 0 ? 'sub_id' : 'ns');
  const key = op.keyArray();
  const prefix = op.prefixArray();
  if (key !== null && prefix !== null) return invalid(opFailure, 'subscribe to a key or a prefix, not both');
  const fromLsnBig = op.fromLsn();
  let fromLsn: number | undefined;
  if (fromLsnBig !== null) {
    const converted = uint64ToNumber(fromLsnBig);
    if (converted === null) return invalid(opFailure, 'from_lsn above 2^53-1');
    fromLsn = converted;
  }
  const subscribe: WireOp = {
    op: 'subscribe',
    subId,
    ns,
    key: key ?? undefined,
    prefix: prefix ?? undefined,
    fromLsn,
    values: op.values(),
  };
  // One tag, checked by validateOp (a space or any non-token character is InvalidArgument).
  const tag = op.tags();
  if (tag !== null) subscribe.tag = tag;
  return subscribe;
}

/** The ttl in seconds (undefined for the namespace default), or null after filling opFailure. */
function decodeTtl(op: Op, opFailure: OpFailure): number | undefined | null {
  const ttl = op.ttl();
  if (ttl === ttlNamespaceDefault) return undefined;
  if (ttl < 0n || ttl > ttlSecMaxBig) {
    return invalid(opFailure, `ttl ${ttl} outside -1 (namespace default) and 0..${ttlSecMax}`);
  }
  return Number(ttl);
}

/** The content type (undefined when absent), or null after filling opFailure. */
function decodeContentType(op: Op, opFailure: OpFailure): string | undefined | null {
  // Measured as bytes before decoding, so an oversized one is never turned into a string.
  const utf8 = op.contentType(flatbuffers.Encoding.UTF8_BYTES);
  if (utf8 === null) return undefined;
  assert(utf8 instanceof Uint8Array, 'UTF8_BYTES gives bytes');
  if (utf8.length > contentTypeBytesMax) {
    return invalid(opFailure, `content_type of ${utf8.length} bytes, at most ${contentTypeBytesMax}`);
  }
  return textDecoder.decode(utf8);
}

/** The tags of a wire tag string: split on single spaces, as the client joins them. */
function splitTags(tags: string): string[] {
  return tags.split(' ');
}

function putModeName(mode: PutMode): PutModeName {
  switch (mode) {
    case PutMode.Upsert:
      return 'upsert';
    case PutMode.Create:
      return 'create';
    case PutMode.Update:
      return 'update';
  }
}

function missing(opFailure: OpFailure, fieldName: string): null {
  opFailure.status = Status.MalformedRequest;
  opFailure.message = `required field ${fieldName} missing`;
  return null;
}

function invalid(opFailure: OpFailure, message: string): null {
  opFailure.status = Status.InvalidArgument;
  opFailure.message = message;
  return null;
}
