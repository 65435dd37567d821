// What the client checks before anything is sent, and how it names an op in an error.
//
// Two kinds of mistake, two kinds of error:
//   - a value of the wrong JavaScript type (a number as a key, an object as a value, an option
//     nobody knows): a TypeError thrown by the call at once, naming the op, the argument and the
//     rule. TypeScript callers cannot make these; JavaScript callers make them all the time.
//   - a value of the right type that the protocol refuses (an empty key, a ttl of 1.5): a
//     TesseraError with the status the server would answer (validateOpArguments, the one validator
//     shared with the server), its message naming the op and the argument.
// The checks run once per call; the label and the explanations are built only on failure.

import { isTag, purgeTagsMax, tagBytesMax, tagsPerRecordMax } from '../../engine/layout/surrogate-keys';
import { contentTypeBytesMax, keyBytesMaxHard, scanLimitMax, ttlSecMax, valueBytesMaxHard } from '../../engine/layout/limits';
import { Status, statusMessage, statusName } from '../../engine/layout/status';
import { isUint32 } from '../../engine/layout/uint64';
import { utf8ByteLength } from '../../engine/layout/utf8-byte-length';
import type { WireOp } from '../codec/wire-types';

/** Keys longer than this are cut in error messages. */
const keyShownCharsMax = 200;

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string "${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return typeof value;
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

export function checkNamespace(opName: string, ns: unknown): void {
  if (typeof ns !== 'string') throw new TypeError(`${opName}: ns must be a string (a namespace name), got ${describeValue(ns)}`);
}

/** Keys (and prefixes) are strings (sent as UTF-8) or bytes. */
export function checkKeyType(opName: string, key: unknown, name = 'key'): void {
  if (typeof key !== 'string' && !isBytes(key)) {
    throw new TypeError(`${opName}: ${name} must be a string or a Uint8Array, got ${describeValue(key)}`);
  }
}

export function checkValueType(opName: string, value: unknown): void {
  if (typeof value !== 'string' && !isBytes(value)) {
    throw new TypeError(`${opName}: value must be a string or a Uint8Array (a Buffer is one), got ${describeValue(value)}`);
  }
}

type FieldType = 'number' | 'string' | 'boolean' | 'key' | 'tags';

/**
 * An options object: absent, or a plain object whose fields are all known and of their type.
 * Unknown names are refused, so a typo (`ttlSec`) fails instead of silently doing the default.
 */
export function checkOptions(opName: string, options: unknown, fields: Readonly<Record<string, FieldType>>, what = 'options'): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${opName}: ${what} must be an object, got ${describeValue(options)}`);
  }
  // for-in over own keys (what Object.entries visits) without an array of entries per call.
  for (const name in options) {
    if (!Object.prototype.hasOwnProperty.call(options, name)) continue;
    const value = (options as Record<string, unknown>)[name];
    const type = fields[name];
    if (type === undefined) {
      throw new TypeError(`${opName}: unknown ${what === 'options' ? 'option' : `field of ${what}`} '${name}' (known: ${Object.keys(fields).join(', ')})`);
    }
    if (value === undefined) continue;
    if (type === 'key') checkKeyType(opName, value, `${what}.${name}`);
    else if (type === 'tags') {
      if (!Array.isArray(value) || !value.every((tag) => typeof tag === 'string')) throw new TypeError(`${opName}: ${what}.${name} must be an array of strings, got ${describeValue(value)}`);
    }
    else if (typeof value !== type) throw new TypeError(`${opName}: ${what}.${name} must be a ${type}, got ${describeValue(value)}`);
  }
}

export const putOptionFields = { ttl: 'number', ifGeneration: 'number', mode: 'string', contentType: 'string', tags: 'tags' } as const;
export const purgeOptionFields = { ns: 'string', prefix: 'key', tags: 'tags' } as const;
export const deleteOptionFields = { ifGeneration: 'number' } as const;
export const scanOptionFields = { prefix: 'key', limit: 'number', cursor: 'string', values: 'boolean' } as const;

/** What a batch() op may hold, per op name. */
const batchOpFields: Readonly<Record<string, Readonly<Record<string, FieldType>>>> = {
  get: { op: 'string', ns: 'string', key: 'key' },
  head: { op: 'string', ns: 'string', key: 'key' },
  put: { op: 'string', ns: 'string', key: 'key', value: 'key', ...putOptionFields },
  delete: { op: 'string', ns: 'string', key: 'key', ...deleteOptionFields },
  touch: { op: 'string', ns: 'string', key: 'key', ttl: 'number' },
  scan: { op: 'string', ns: 'string', ...scanOptionFields },
};

/** Each op of a batch: a known op name and the fields that op takes, of their types. */
export function checkBatchOps(ops: unknown): void {
  if (!Array.isArray(ops)) throw new TypeError(`batch: ops must be an array of ops, got ${describeValue(ops)}`);
  for (let index = 0; index < ops.length; index++) {
    const op: unknown = ops[index];
    const where = `ops[${index}]`;
    if (typeof op !== 'object' || op === null) throw new TypeError(`batch: ${where} must be an op object, got ${describeValue(op)}`);
    const name = (op as { op?: unknown }).op;
    const fields = typeof name === 'string' ? batchOpFields[name] : undefined;
    if (fields === undefined) {
      throw new TypeError(`batch: ${where}.op must be one of ${Object.keys(batchOpFields).join(', ')}, got ${describeValue(name)}`);
    }
    checkOptions('batch', op, fields, where);
    checkNamespace(`batch ${where}`, (op as { ns?: unknown }).ns);
    if (name !== 'scan') checkKeyType(`batch ${where}`, (op as { key?: unknown }).key);
    if (name === 'put') checkValueType(`batch ${where}`, (op as { value?: unknown }).value);
  }
}

/** "put content/articles/x": the op, its namespace and its key (or prefix), for error messages. */
export function opLabel(op: WireOp): string {
  switch (op.op) {
    case 'unsubscribe':
      return `unsubscribe ${op.subId}`;
    case 'scan':
      return `scan ${op.ns}/${op.prefix === undefined ? '' : keyText(op.prefix)}*`;
    case 'subscribe':
      if (op.key !== undefined) return `subscribe ${op.ns}/${keyText(op.key)}`;
      return `subscribe ${op.ns}/${op.prefix === undefined ? '' : keyText(op.prefix)}*${op.tag === undefined ? '' : ` tag ${op.tag}`}`;
    case 'purge':
      return op.tags !== undefined ? `purge ${op.ns} tags ${op.tags.join(' ')}` : `purge ${op.ns}/${op.prefix === undefined ? '' : keyText(op.prefix)}*`;
    default:
      return `${op.op} ${op.ns}/${keyText(op.key)}`;
  }
}

function keyText(key: string | Uint8Array): string {
  let text: string;
  if (typeof key === 'string') {
    text = key;
  } else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(key);
    } catch {
      const hex = Array.from(key.subarray(0, 32), (byte) => byte.toString(16).padStart(2, '0')).join('');
      return `<${key.byteLength} bytes: ${hex}${key.byteLength > 32 ? '...' : ''}>`;
    }
  }
  return text.length > keyShownCharsMax ? `${text.slice(0, keyShownCharsMax)}...` : text;
}

/** "put content/x: InvalidKey: the key is empty or not valid": the message of a refused op. */
export function opFailureMessage(op: WireOp, status: Status, detail: string | null | undefined): string {
  return `${opLabel(op)}: ${statusName(status)}: ${detail ?? statusMessage(status)}`;
}

/**
 * Which argument broke which rule, for a status validateOpArguments returned on `op`. Finds the
 * first failing field again, by the same rules (engine/layout/validate-op.ts), in words.
 */
export function explainRefusal(op: WireOp, status: Status): string {
  const length = (bytes: string | Uint8Array): number => (typeof bytes === 'string' ? utf8ByteLength(bytes) : bytes.byteLength);
  if (status === Status.InvalidKey) return 'key must not be empty';
  if (status === Status.KeyTooLarge) {
    const key = 'key' in op && op.key !== undefined ? op.key : 'prefix' in op && op.prefix !== undefined ? op.prefix : '';
    return `key is ${length(key)} bytes, more than any namespace allows (${keyBytesMaxHard})`;
  }
  if (status === Status.ValueTooLarge && op.op === 'put') return `value is ${length(op.value)} bytes, more than any namespace allows (${valueBytesMaxHard})`;
  if (status !== Status.InvalidArgument) return statusMessage(status);
  const ttl = 'ttl' in op ? op.ttl : undefined;
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 0 && ttl <= ttlSecMax)) {
    return `ttl must be a whole number of seconds from 0 (never expires) to ${ttlSecMax}, got ${ttl}`;
  }
  const ifGeneration = 'ifGeneration' in op ? op.ifGeneration : undefined;
  if (ifGeneration !== undefined && !isUint32(ifGeneration)) return `ifGeneration must be an integer from 0 to 2^32-1, got ${ifGeneration}`;
  if (op.op === 'put' && op.mode !== undefined && op.mode !== 'upsert' && op.mode !== 'create' && op.mode !== 'update') {
    return `mode must be 'upsert', 'create' or 'update', got '${String(op.mode)}'`;
  }
  if (op.op === 'put' && op.contentType !== undefined && utf8ByteLength(op.contentType) > contentTypeBytesMax) {
    return `contentType is longer than ${contentTypeBytesMax} bytes`;
  }
  if ((op.op === 'put' || op.op === 'purge') && op.tags !== undefined) return `tags must be ${op.op === 'put' ? `at most ${tagsPerRecordMax} distinct` : `1 to ${purgeTagsMax}`} surrogate keys of 1 to ${tagBytesMax} token characters`;
  if (op.op === 'purge') return 'give a non-empty prefix or tags, not both';
  if (op.op === 'scan' && op.limit !== undefined) return `limit must be an integer from 1 to ${scanLimitMax}, got ${op.limit}`;
  if (op.op === 'subscribe' && op.key !== undefined && op.prefix !== undefined) return 'give key or prefix, not both';
  if (op.op === 'subscribe' && op.tag !== undefined && !isTag(op.tag)) return `tag must be one surrogate key of 1 to ${tagBytesMax} token characters, got ${JSON.stringify(op.tag.slice(0, tagBytesMax + 1))}`;
  if (op.op === 'subscribe' && op.fromLsn !== undefined) return `fromLsn must be an integer from 0 to 2^53-1, got ${op.fromLsn}`;
  return statusMessage(status);
}
