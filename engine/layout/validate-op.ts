// The one op validator, shared by the server (on decoded ops), the engine (on in-process ops) and
// the client (before sending), so a bad op gets the same status wherever it is caught. It lives in
// engine/ (wire/ imports it; engine/ never imports wire/) and runs in browsers too. validateOpArguments needs no config; validateOp adds the namespace's
// own limits. Both return a status and never throw, for ops built by any JavaScript caller.
// They run once per op on the hot path: early returns, no allocation.

import { checkPurgeTags, checkTags, isTag } from './surrogate-keys';
import { fitsContentTypeBytes, isCacheControlValue } from './stored-content-type';
import {
  contentTypeBytesMax,
  keyBytesMaxHard,
  scanLimitMax,
  ttlSecMax,
  valueBytesMaxHard,
} from './limits';
import { Status } from './status';
import type { Key, NamespaceConfig, PutMode, Value, WireOp } from './types';
import { isMediaType } from './media-type';
import { isUint32, isUint64Number } from './uint64';
import { utf8ByteLength } from './utf8-byte-length';

/**
 * Checks what needs no namespace: key not empty and within keyBytesMaxHard, value within
 * valueBytesMaxHard, ttl 0..ttlSecMax, generations and sub ids uint32 (sub ids from 1), scan
 * limit 1..scanLimitMax, content type within contentTypeBytesMax (else InvalidArgument) and a
 * media type (else InvalidContentType), a subscription to a key or a
 * prefix but not both. Returns the first failing status, or Ok.
 */
export function validateOpArguments(op: WireOp): Status {
  return validate(op, keyBytesMaxHard, valueBytesMaxHard);
}

/**
 * validateOpArguments with the namespace's own limits: UnknownNamespace when `ns` is undefined
 * (the caller looked op.ns up and found nothing), then KeyTooLarge / ValueTooLarge against its
 * maxKeyBytes / maxValueBytes (capped by the hard limits). Unsubscribe names no namespace.
 */
export function validateOp(op: WireOp, ns: NamespaceConfig | undefined): Status {
  if (op.op === 'unsubscribe') return checkSubId(op.subId);
  if (ns === undefined) return Status.UnknownNamespace;
  return validate(op, Math.min(ns.maxKeyBytes, keyBytesMaxHard), Math.min(ns.maxValueBytes, valueBytesMaxHard));
}

function validate(op: WireOp, keyBytesMax: number, valueBytesMax: number): Status {
  switch (op.op) {
    case 'get':
    case 'head':
      return checkKey(op.key, keyBytesMax);
    case 'put': {
      const keyStatus = checkKey(op.key, keyBytesMax);
      if (keyStatus !== Status.Ok) return keyStatus;
      if (byteLengthOf(op.value) > valueBytesMax) return Status.ValueTooLarge;
      if (!isTtl(op.ttl) || !isGeneration(op.ifGeneration) || !isPutMode(op.mode)) return Status.InvalidArgument;
      if (op.tags !== undefined && checkTags(op.tags) !== Status.Ok) return Status.InvalidArgument;
      return checkPutMetadata(op.contentType ?? '', op.cacheControl ?? '');
    }
    case 'delete': {
      const keyStatus = checkKey(op.key, keyBytesMax);
      return keyStatus !== Status.Ok || isGeneration(op.ifGeneration) ? keyStatus : Status.InvalidArgument;
    }
    case 'touch': {
      const keyStatus = checkKey(op.key, keyBytesMax);
      return keyStatus !== Status.Ok || isTtl(op.ttl) ? keyStatus : Status.InvalidArgument;
    }
    case 'scan': {
      if (!isPrefix(op.prefix, keyBytesMax)) return Status.KeyTooLarge;
      const limitValid = op.limit === undefined || (Number.isInteger(op.limit) && op.limit >= 1 && op.limit <= scanLimitMax);
      return limitValid ? Status.Ok : Status.InvalidArgument;
    }
    case 'subscribe': {
      if (checkSubId(op.subId) !== Status.Ok) return Status.InvalidArgument;
      if (op.key !== undefined && op.prefix !== undefined) return Status.InvalidArgument;
      if (op.key !== undefined) {
        const keyStatus = checkKey(op.key, keyBytesMax);
        if (keyStatus !== Status.Ok) return keyStatus;
      }
      if (!isPrefix(op.prefix, keyBytesMax)) return Status.KeyTooLarge;
      if (op.tag !== undefined && !isTag(op.tag)) return Status.InvalidArgument;
      return op.fromLsn === undefined || isUint64Number(op.fromLsn) ? Status.Ok : Status.InvalidArgument;
    }
    case 'unsubscribe':
      return checkSubId(op.subId);
    case 'purge': {
      if ((op.prefix === undefined) === (op.tags === undefined)) return Status.InvalidArgument;
      if (op.prefix !== undefined) return byteLengthOf(op.prefix) === 0 ? Status.InvalidArgument : isPrefix(op.prefix, keyBytesMax) ? Status.Ok : Status.KeyTooLarge;
      return checkPurgeTags(op.tags);
    }
  }
}

function byteLengthOf(bytes: Key | Value): number {
  return typeof bytes === 'string' ? utf8ByteLength(bytes) : bytes.byteLength;
}

function checkKey(key: Key, keyBytesMax: number): Status {
  const byteLength = byteLengthOf(key);
  if (byteLength === 0) return Status.InvalidKey;
  return byteLength > keyBytesMax ? Status.KeyTooLarge : Status.Ok;
}

/** A prefix may be empty (it matches every key) but not longer than a key may be. */
function isPrefix(prefix: Key | undefined, keyBytesMax: number): boolean {
  return prefix === undefined || byteLengthOf(prefix) <= keyBytesMax;
}

function isTtl(ttl: number | undefined): boolean {
  return ttl === undefined || (Number.isInteger(ttl) && ttl >= 0 && ttl <= ttlSecMax);
}

function isGeneration(generation: number | undefined): boolean {
  return generation === undefined || isUint32(generation);
}

function isPutMode(mode: PutMode | undefined): boolean {
  return mode === undefined || mode === 'upsert' || mode === 'create' || mode === 'update';
}

/**
 * A content type is written back verbatim into the Content-Type header of every HTTP GET, so it
 * must be a media type (RFC 9110, media-type.ts): a CR, LF or NUL in it would inject headers or
 * split the response. The empty string means "none" (served as application/octet-stream).
 */
function checkContentType(contentType: string): Status {
  if (contentType === '') return Status.Ok;
  if (utf8ByteLength(contentType) > contentTypeBytesMax) return Status.InvalidArgument;
  return isMediaType(contentType) ? Status.Ok : Status.InvalidContentType;
}

/** The content type, then the record's own Cache-Control, which shares its bytes (stored-content-type.ts). */
function checkPutMetadata(contentType: string, cacheControl: string): Status {
  const status = checkContentType(contentType);
  if (status !== Status.Ok || cacheControl === '') return status;
  if (!isCacheControlValue(cacheControl)) return Status.InvalidArgument;
  return fitsContentTypeBytes(utf8ByteLength(contentType), cacheControl) ? Status.Ok : Status.InvalidArgument;
}

function checkSubId(subId: number): Status {
  return isUint32(subId) && subId !== 0 ? Status.Ok : Status.InvalidArgument;
}

/** The key checks alone (InvalidKey, KeyTooLarge), for callers that have a key before an op. */
export function validateKey(key: Key, namespace: NamespaceConfig): Status {
  return validateOp({ op: 'get', ns: namespace.name, key }, namespace);
}
