import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { keyBytesMaxHard, valueBytesMaxHard } from '../../engine/layout/limits';
import { Status } from '../../engine/layout/status';
import type { NamespaceConfig } from '../../engine/layout/types';
import { validateOp, validateOpArguments } from '../../engine/layout/validate-op';
import type { WireOp } from './wire-types';

const articles: NamespaceConfig = {
  name: 'articles',
  mode: 'store',
  ack: 'memory',
  memoryLimitBytes: 1 << 20,
  defaultTtlSec: 0,
  maxKeyBytes: 8,
  maxValueBytes: 16,
};

test('validateOp: namespace, key and value sizes', () => {
  const cases: [WireOp, Status][] = [
    [{ op: 'get', ns: 'articles', key: 'k' }, Status.Ok],
    [{ op: 'get', ns: 'articles', key: '' }, Status.InvalidKey],
    [{ op: 'head', ns: 'articles', key: new Uint8Array(0) }, Status.InvalidKey],
    [{ op: 'get', ns: 'articles', key: '12345678' }, Status.Ok],
    [{ op: 'get', ns: 'articles', key: '123456789' }, Status.KeyTooLarge],
    [{ op: 'get', ns: 'articles', key: 'éééé' }, Status.Ok], // 8 bytes
    [{ op: 'get', ns: 'articles', key: 'ééééa' }, Status.KeyTooLarge], // 9 bytes, 5 characters
    [{ op: 'put', ns: 'articles', key: 'k', value: new Uint8Array(16) }, Status.Ok],
    [{ op: 'put', ns: 'articles', key: 'k', value: new Uint8Array(17) }, Status.ValueTooLarge],
    [{ op: 'scan', ns: 'articles', prefix: '123456789' }, Status.KeyTooLarge],
    [{ op: 'scan', ns: 'articles', prefix: '' }, Status.Ok],
    [{ op: 'subscribe', subId: 1, ns: 'articles', key: '' }, Status.InvalidKey],
    [{ op: 'subscribe', subId: 1, ns: 'articles', prefix: '123456789' }, Status.KeyTooLarge],
    [{ op: 'unsubscribe', subId: 1 }, Status.Ok],
  ];
  for (const [op, status] of cases) assert.equal(validateOp(op, articles), status, JSON.stringify(op));
  assert.equal(validateOp({ op: 'get', ns: 'nope', key: 'k' }, undefined), Status.UnknownNamespace);
  assert.equal(validateOp({ op: 'unsubscribe', subId: 1 }, undefined), Status.Ok, 'unsubscribe names no namespace');
});

test('validateOpArguments: ranges and shapes', () => {
  const invalid: WireOp[] = [
    { op: 'put', ns: 'n', key: 'k', value: 'v', ttl: -1 },
    { op: 'put', ns: 'n', key: 'k', value: 'v', ttl: 1.5 },
    { op: 'put', ns: 'n', key: 'k', value: 'v', ttl: 315_360_001 },
    { op: 'put', ns: 'n', key: 'k', value: 'v', ifGeneration: 2 ** 32 },
    { op: 'put', ns: 'n', key: 'k', value: 'v', mode: 'merge' as 'upsert' },
    { op: 'put', ns: 'n', key: 'k', value: 'v', contentType: 'x'.repeat(256) },
    { op: 'delete', ns: 'n', key: 'k', ifGeneration: -1 },
    { op: 'touch', ns: 'n', key: 'k', ttl: Number.NaN },
    { op: 'scan', ns: 'n', limit: 0 },
    { op: 'scan', ns: 'n', limit: 1001 },
    { op: 'subscribe', subId: 0, ns: 'n' },
    { op: 'subscribe', subId: 1, ns: 'n', key: 'k', prefix: 'p' },
    { op: 'subscribe', subId: 1, ns: 'n', fromLsn: -1 },
    { op: 'unsubscribe', subId: 2 ** 32 },
  ];
  for (const op of invalid) assert.equal(validateOpArguments(op), Status.InvalidArgument, JSON.stringify(op));
  const valid: WireOp[] = [
    { op: 'put', ns: 'n', key: 'k', value: '', ttl: 0, ifGeneration: 2 ** 32 - 1, mode: 'update', contentType: `x/${'x'.repeat(253)}` },
    { op: 'touch', ns: 'n', key: 'k' },
    { op: 'scan', ns: 'n', limit: 1000 },
    { op: 'subscribe', subId: 2 ** 32 - 1, ns: 'n', fromLsn: 0 },
  ];
  for (const op of valid) assert.equal(validateOpArguments(op), Status.Ok, JSON.stringify(op));
  assert.equal(validateOpArguments({ op: 'get', ns: 'n', key: new Uint8Array(keyBytesMaxHard + 1) }), Status.KeyTooLarge);
  assert.equal(validateOpArguments({ op: 'put', ns: 'n', key: 'k', value: new Uint8Array(valueBytesMaxHard + 1) }), Status.ValueTooLarge);
});

test('a namespace allowing more than the hard limits is capped by them', () => {
  const huge: NamespaceConfig = { ...articles, maxKeyBytes: 10 * keyBytesMaxHard };
  assert.equal(validateOp({ op: 'get', ns: 'articles', key: new Uint8Array(keyBytesMaxHard + 1) }, huge), Status.KeyTooLarge);
});

test('validateOp: a content type that is not a media type is InvalidContentType, on put only', () => {
  const put = (contentType: string): WireOp => ({ op: 'put', ns: 'articles', key: 'k', value: 'v', contentType });
  assert.equal(validateOp(put('text/html; charset=utf-8'), articles), Status.Ok);
  assert.equal(validateOp(put(''), articles), Status.Ok, 'empty means none');
  for (const bad of ['text/html\r\nSet-Cookie: pwned=1', 'text/html\r\n\r\n<script>', 'text/plain\0', 'plain', 'text/plain\n']) {
    assert.equal(validateOp(put(bad), articles), Status.InvalidContentType, JSON.stringify(bad));
    assert.equal(validateOpArguments(put(bad)), Status.InvalidContentType, JSON.stringify(bad));
  }
});
