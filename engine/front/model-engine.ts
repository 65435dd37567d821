// A reference engine: one Map, no threads, no shared memory. The randomized tests run the same op
// sequences through it and through the real engine and compare; the server's tests can use it as a
// stand-in. It is written for obviousness, not speed.

import { fail } from '../layout/assert';
import { ChangeLog } from './change-log';
import { normalizeEngineConfig, type EngineConfigInput } from './config';
import type { EngineApi } from './engine-api';
import { OpShortcuts } from './op-shortcuts';
import { partitionCount, scanLimitDefault, scanLimitMax } from '../layout/limits';
import { Status, StatusError } from '../layout/status';
import type {
  Change,
  EngineStats,
  NamespaceConfig,
  Op,
  OpResult,
  ScanOptions,
  ScanPage,
  RecordMeta,
} from '../layout/types';
import { validateOp } from '../layout/validate-op';

interface ModelRecord extends RecordMeta {
  key: Uint8Array;
  value: Uint8Array;
}

const encoder = new TextEncoder();
export const toBytes = (data: Uint8Array | string): Uint8Array => (typeof data === 'string' ? encoder.encode(data) : data);
const mapKey = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');

function result(status: Status, record?: ModelRecord, value: Uint8Array | null = null, created = false): OpResult {
  return {
    status,
    generation: record?.generation ?? 0,
    expiry: record?.expiry ?? 0,
    lastModified: record?.lastModified ?? 0,
    contentType: record?.contentType ?? '',
    value,
    created,
  };
}

export interface ModelEngineOptions {
  /** The clock, in ms since the epoch; tests pass a controllable one. */
  nowMs?: () => number;
}

export class ModelEngine extends OpShortcuts implements EngineApi {
  readonly namespaces: readonly NamespaceConfig[];
  readonly changes: ChangeLog;
  readonly #tables = new Map<string, Map<string, ModelRecord>>();
  readonly #nowMs: () => number;

  constructor(config: EngineConfigInput = {}, options: ModelEngineOptions = {}) {
    super();
    const normalized = normalizeEngineConfig(config);
    this.namespaces = normalized.namespaces;
    this.changes = new ChangeLog(normalized.changeLogCapacity);
    this.#nowMs = options.nowMs ?? Date.now;
    for (const namespace of this.namespaces) this.#tables.set(namespace.name, new Map());
  }

  #namespace(name: string): NamespaceConfig | undefined {
    return this.namespaces.find((namespace) => namespace.name === name);
  }

  #expiryFor(ttl: number | undefined, namespace: NamespaceConfig): number {
    const seconds = ttl ?? namespace.defaultTtlSec;
    return seconds === 0 ? 0 : Math.floor(this.#nowMs() / 1000) + seconds;
  }

  /** Expirations by namespace, for stats() (the model never evicts). */
  readonly #expirations = new Map<string, number>();

  #emit(kind: Change['kind'], ns: string, record: ModelRecord, value: Uint8Array | null): void {
    const { key, generation, expiry, lastModified, contentType } = record;
    this.changes.append({ kind, ns, key, generation, expiry, lastModified, contentType, value });
  }

  /** The live record, removing it (with an `expired` change) when its time has passed. */
  #live(ns: string, table: Map<string, ModelRecord>, id: string): ModelRecord | undefined {
    const record = table.get(id);
    if (record === undefined) return undefined;
    if (record.expiry !== 0 && record.expiry <= Math.floor(this.#nowMs() / 1000)) {
      table.delete(id);
      this.#expirations.set(ns, (this.#expirations.get(ns) ?? 0) + 1);
      this.#emit('expired', ns, record, null);
      return undefined;
    }
    return record;
  }

  #apply(op: Op): OpResult {
    const namespace = this.#namespace(op.ns);
    const status = validateOp(op, namespace);
    if (status !== Status.Ok || namespace === undefined) return result(status);
    const table = this.#tables.get(namespace.name);
    if (table === undefined) fail('model invariant: namespace table missing');
    const key = toBytes(op.key);
    const id = mapKey(key);
    const existing = this.#live(op.ns, table, id);
    switch (op.op) {
      case 'get':
        return existing === undefined ? result(Status.NotFound) : result(Status.Ok, existing, existing.value);
      case 'head':
        return existing === undefined ? result(Status.NotFound) : result(Status.Ok, existing);
      case 'put': {
        const mode = op.mode ?? 'upsert';
        if (mode === 'create' && existing !== undefined) return result(Status.AlreadyExists, existing);
        if (mode === 'update' && existing === undefined) return result(Status.NotFound);
        const ifGeneration = op.ifGeneration ?? 0;
        if (ifGeneration !== 0 && (existing === undefined || existing.generation !== ifGeneration)) {
          return existing === undefined ? result(Status.NotFound) : result(Status.GenerationMismatch, existing);
        }
        const record: ModelRecord = {
          key: Uint8Array.from(key),
          value: Uint8Array.from(toBytes(op.value)),
          generation: existing === undefined ? 1 : existing.generation + 1,
          expiry: this.#expiryFor(op.ttl, namespace),
          lastModified: this.#nowMs(),
          contentType: op.contentType ?? '',
        };
        table.set(id, record);
        this.#emit('put', op.ns, record, record.value);
        return result(Status.Ok, record, null, existing === undefined);
      }
      case 'delete': {
        if (existing === undefined) return result(Status.NotFound);
        const ifGeneration = op.ifGeneration ?? 0;
        if (ifGeneration !== 0 && existing.generation !== ifGeneration) return result(Status.GenerationMismatch, existing);
        table.delete(id);
        this.#emit('delete', op.ns, existing, null);
        return result(Status.Ok, existing);
      }
      case 'touch': {
        if (existing === undefined) return result(Status.NotFound);
        existing.expiry = this.#expiryFor(op.ttl, namespace);
        this.#emit('touch', op.ns, existing, null);
        return result(Status.Ok, existing);
      }
    }
  }

  async batch(ops: readonly Op[]): Promise<OpResult[]> {
    return ops.map((op) => this.#apply(op));
  }

  /** Pages in key byte order; the cursor is the last key returned. */
  async scan(ns: string, options: ScanOptions = {}): Promise<ScanPage> {
    const table = this.#tables.get(ns);
    if (table === undefined) throw new StatusError(Status.UnknownNamespace);
    const limit = options.limit ?? scanLimitDefault;
    if (!Number.isInteger(limit) || limit < 1 || limit > scanLimitMax) throw new StatusError(Status.InvalidArgument);
    const prefix = Buffer.from(toBytes(options.prefix ?? ''));
    const after = options.cursor === undefined ? null : Buffer.from(options.cursor, 'base64url');
    const ids = [...table.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
    const records: ScanPage['records'] = [];
    for (const id of ids) {
      const key = Buffer.from(id, 'latin1');
      if (after !== null && Buffer.compare(key, after) <= 0) continue;
      if (!key.subarray(0, prefix.length).equals(prefix)) continue;
      const record = this.#live(ns, table, id);
      if (record === undefined) continue;
      const { generation, expiry, lastModified, contentType } = record;
      records.push({ key: record.key, value: options.values === false ? null : record.value, generation, expiry, lastModified, contentType });
      if (records.length === limit) break;
    }
    const last = records[records.length - 1];
    const cursor = records.length === limit && last !== undefined ? Buffer.from(last.key).toString('base64url') : null;
    return { records, cursor };
  }

  stats(): EngineStats {
    return {
      shards: 1,
      partitions: partitionCount,
      namespaces: this.namespaces.map((namespace) => {
        const table = this.#tables.get(namespace.name) ?? new Map<string, ModelRecord>();
        let bytes = 0;
        for (const record of table.values()) bytes += record.key.byteLength + record.value.byteLength;
        return { name: namespace.name, mode: namespace.mode, records: table.size, bytes, memoryLimitBytes: namespace.memoryLimitBytes, evictions: 0, expirations: this.#expirations.get(namespace.name) ?? 0 };
      }),
      lastLsn: this.changes.lastLsn,
      shardRestarts: 0,
      tableBytes: 0,
    };
  }

  async close(): Promise<void> {}
}
