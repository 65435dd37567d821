// The one place that decides whether an op's arguments are acceptable for a namespace. The wire
// front, the engine and the model engine all call it, so a bad op gets the same status everywhere
// and never reaches a table.

import { contentTypeBytesMax, ttlSecMax } from './limits';
import { Status } from './status';
import type { NamespaceConfig, Op } from './types';

export function byteLengthOf(data: Uint8Array | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength;
}

function isValidTtl(ttl: number | undefined): boolean {
  return ttl === undefined || (Number.isInteger(ttl) && ttl >= 0 && ttl <= ttlSecMax);
}

function isValidGeneration(generation: number | undefined): boolean {
  return generation === undefined || (Number.isInteger(generation) && generation >= 0 && generation <= 0xffffffff);
}

export function validateKey(key: Uint8Array | string, namespace: NamespaceConfig): Status {
  const keyBytes = byteLengthOf(key);
  if (keyBytes === 0) return Status.InvalidKey;
  if (keyBytes > namespace.maxKeyBytes) return Status.KeyTooLarge;
  return Status.Ok;
}

/** Status.Ok when the op may be routed; otherwise the status to answer with. */
export function validateOp(op: Op, namespace: NamespaceConfig | undefined): Status {
  if (namespace === undefined) return Status.UnknownNamespace;
  const keyStatus = validateKey(op.key, namespace);
  if (keyStatus !== Status.Ok) return keyStatus;
  switch (op.op) {
    case 'get':
    case 'head':
      return Status.Ok;
    case 'put':
      if (byteLengthOf(op.value) > namespace.maxValueBytes) return Status.ValueTooLarge;
      if (!isValidTtl(op.ttl) || !isValidGeneration(op.ifGeneration)) return Status.InvalidArgument;
      if (op.mode !== undefined && op.mode !== 'upsert' && op.mode !== 'create' && op.mode !== 'update') {
        return Status.InvalidArgument;
      }
      if (op.contentType !== undefined && Buffer.byteLength(op.contentType, 'utf8') > contentTypeBytesMax) {
        return Status.InvalidArgument;
      }
      return Status.Ok;
    case 'delete':
      return isValidGeneration(op.ifGeneration) ? Status.Ok : Status.InvalidArgument;
    case 'touch':
      return isValidTtl(op.ttl) ? Status.Ok : Status.InvalidArgument;
    default:
      return Status.InvalidArgument;
  }
}
