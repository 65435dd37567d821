// Test support: random valid ops, results and changes for round-trip and fuzz tests, and the
// normal form decodeRequest gives an op (keys as bytes, defaults filled in).

import { Status } from '../../engine/layout/status';
import type { Change, ChangeGap, ChangeKind, Key, OpResult, PutMode, RecordMeta, ScannedRecord, ScanPage } from '../../engine/layout/types';
import type { SeededRandom } from '../../engine/layout/seeded-random';
import type { StatusResult, WireOp } from './wire-types';

const encoder = new TextEncoder();
const namespaces = ['articles', 'sessions', 'n', 'ünïcode-ns'];
const contentTypes = ['text/html; charset=utf-8', 'application/json', ''];
const putModes: readonly PutMode[] = ['upsert', 'create', 'update'];
const changeKinds: readonly ChangeKind[] = ['put', 'delete', 'touch', 'expired', 'evicted'];

export function randomKey(random: SeededRandom, empty = false): Key {
  const length = empty ? 0 : 1 + random.below(24);
  if (random.next() < 0.5) return random.bytes(length);
  let text = '';
  for (let index = 0; index < length; index++) text += random.pick(['a', '/', 'é', '€', '𝄞', '0']);
  return text;
}

function maybe<T>(random: SeededRandom, make: () => T): T | undefined {
  return random.next() < 0.5 ? make() : undefined;
}

export function randomOp(random: SeededRandom): WireOp {
  const ns = random.pick(namespaces);
  const key = randomKey(random);
  switch (random.below(8)) {
    case 0:
      return { op: 'get', ns, key };
    case 1:
      return { op: 'head', ns, key };
    case 2:
      return {
        op: 'put',
        ns,
        key,
        value: random.next() < 0.3 ? 'text value é' : random.bytes(random.below(64)),
        mode: maybe(random, () => random.pick(putModes)),
        ifGeneration: maybe(random, () => random.below(2 ** 32)),
        ttl: maybe(random, () => random.pick([0, 1, 3600, 315_360_000])),
        contentType: maybe(random, () => random.pick(contentTypes)),
      };
    case 3:
      return { op: 'delete', ns, key, ifGeneration: maybe(random, () => random.below(2 ** 32)) };
    case 4:
      return { op: 'touch', ns, key, ttl: maybe(random, () => random.below(1000)) };
    case 5:
      return {
        op: 'scan',
        ns,
        prefix: maybe(random, () => randomKey(random, random.next() < 0.2)),
        limit: maybe(random, () => 1 + random.below(1000)),
        cursor: maybe(random, () => `cursor-${random.below(1000)}`),
        values: maybe(random, () => random.next() < 0.5),
      };
    case 6: {
      const target = random.below(3);
      return {
        op: 'subscribe',
        subId: 1 + random.below(2 ** 32 - 1),
        ns,
        key: target === 0 ? key : undefined,
        prefix: target === 1 ? randomKey(random) : undefined,
        fromLsn: maybe(random, () => random.pick([0, 1, 2 ** 40, Number.MAX_SAFE_INTEGER])),
        values: maybe(random, () => random.next() < 0.5),
      };
    }
    default:
      return { op: 'unsubscribe', subId: 1 + random.below(2 ** 32 - 1) };
  }
}

function bytesOf(key: Key): Uint8Array {
  return typeof key === 'string' ? encoder.encode(key) : key;
}

/** What decodeRequest gives back for `op`. */
export function decodedForm(op: WireOp): WireOp {
  switch (op.op) {
    case 'get':
    case 'head':
      return { op: op.op, ns: op.ns, key: bytesOf(op.key) };
    case 'put':
      return {
        op: 'put',
        ns: op.ns,
        key: bytesOf(op.key),
        value: bytesOf(op.value),
        mode: op.mode ?? 'upsert',
        ifGeneration: op.ifGeneration ?? 0,
        ttl: op.ttl,
        contentType: op.contentType,
      };
    case 'delete':
      return { op: 'delete', ns: op.ns, key: bytesOf(op.key), ifGeneration: op.ifGeneration ?? 0 };
    case 'touch':
      return { op: 'touch', ns: op.ns, key: bytesOf(op.key), ttl: op.ttl };
    case 'scan':
      return {
        op: 'scan',
        ns: op.ns,
        prefix: op.prefix === undefined ? undefined : bytesOf(op.prefix),
        limit: op.limit,
        cursor: op.cursor,
        values: op.values ?? true,
      };
    case 'subscribe':
      return {
        op: 'subscribe',
        subId: op.subId,
        ns: op.ns,
        key: op.key === undefined ? undefined : bytesOf(op.key),
        prefix: op.prefix === undefined ? undefined : bytesOf(op.prefix),
        fromLsn: op.fromLsn,
        values: op.values ?? true,
      };
    case 'unsubscribe':
      return { op: 'unsubscribe', subId: op.subId };
    case 'purge':
      return op.tags !== undefined ? { op: 'purge', ns: op.ns, tags: [...op.tags] } : { op: 'purge', ns: op.ns, prefix: bytesOf(op.prefix ?? '') };
  }
}

function randomMeta(random: SeededRandom): RecordMeta {
  return {
    generation: random.below(2 ** 32),
    expiry: random.pick([0, random.below(2 ** 32)]),
    lastModified: random.pick([0, 1_767_225_600_123, random.next() * 2 ** 50]),
    contentType: random.pick(contentTypes),
  };
}

export function randomOpResult(random: SeededRandom): OpResult {
  const ok = random.next() < 0.7;
  return {
    status: ok ? Status.Ok : random.pick([Status.NotFound, Status.GenerationMismatch, Status.OutOfMemory]),
    value: ok && random.next() < 0.5 ? random.bytes(random.below(64)) : null,
    created: ok && random.next() < 0.5,
    ...(ok ? randomMeta(random) : { generation: 0, expiry: 0, lastModified: 0, contentType: '' }),
  };
}

export function randomScanPage(random: SeededRandom): ScanPage {
  const records: ScannedRecord[] = [];
  const count = random.below(6);
  for (let index = 0; index < count; index++) {
    records.push({ key: random.bytes(1 + random.below(16)), value: random.next() < 0.5 ? random.bytes(random.below(32)) : null, ...randomMeta(random) });
  }
  return { records, cursor: random.next() < 0.5 ? null : `next-${random.below(100)}` };
}

export function randomStatusResult(random: SeededRandom): StatusResult {
  const status = random.pick([Status.InvalidCursor, Status.UnknownNamespace, Status.InternalError]);
  return random.next() < 0.5 ? { status } : { status, message: `why ${random.below(10)} é` };
}

export function randomChange(random: SeededRandom): Change | ChangeGap {
  if (random.next() < 0.2) return { gap: true, oldestLsn: random.pick([0, 1, 2 ** 40]) };
  const kind = random.pick(changeKinds);
  return {
    lsn: random.pick([1, 2 ** 33, Number.MAX_SAFE_INTEGER]),
    kind,
    ns: random.pick(namespaces),
    key: random.bytes(1 + random.below(16)),
    value: kind === 'put' ? random.bytes(random.below(32)) : null,
    ...randomMeta(random),
  };
}
