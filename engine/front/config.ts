// Engine configuration: namespaces and shard count, with defaults and validation. The server's
// config file (wire/server) embeds this object under "engine".

import { availableParallelism } from 'node:os';
import {
  keyBytesMaxDefault,
  keyBytesMaxHard,
  namespacesMax,
  valueBytesMaxDefault,
  valueBytesMaxHard,
  ttlSecMax,
} from '../layout/limits';
import type { NamespaceConfig } from '../layout/types';

export interface EngineConfig {
  /** Shard threads; each owns the partitions p with p % shards == its index. */
  shards: number;
  namespaces: NamespaceConfig[];
  /** Changes the in-memory change log retains (power of two). */
  changeLogCapacity: number;
  /** How often each shard sweeps a slice of its index for expired records; 0 = never (tests). */
  sweepIntervalMs: number;
  /** Serve gets and heads from shared memory on the main thread when safe (direct-read.ts). */
  directReads: boolean;
}

export type NamespaceConfigInput = Partial<NamespaceConfig> & { name: string };
export interface EngineConfigInput {
  shards?: number;
  namespaces?: NamespaceConfigInput[];
  changeLogCapacity?: number;
  sweepIntervalMs?: number;
  directReads?: boolean;
}

/** One shard per core leaves the front thread to share; at least one. */
export function defaultShardCount(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

export function namespaceDefaults(name: string): NamespaceConfig {
  return {
    name,
    mode: 'store',
    memoryLimitBytes: 1024 * 1024 * 1024,
    defaultTtlSec: 0,
    maxKeyBytes: keyBytesMaxDefault,
    maxValueBytes: valueBytesMaxDefault,
  };
}

/** Bad configuration is input, not an invariant: a RangeError naming the field (never assert()). */
function requireConfig(condition: boolean, message: string): asserts condition {
  if (!condition) throw new RangeError(`invalid engine config: ${message}`);
}

function normalizeNamespace(input: NamespaceConfigInput): NamespaceConfig {
  const namespace: NamespaceConfig = { ...namespaceDefaults(input.name), ...input };
  const { name, mode, memoryLimitBytes, defaultTtlSec, maxKeyBytes, maxValueBytes } = namespace;
  requireConfig(/^[A-Za-z0-9_.-]{1,64}$/.test(name), `namespace name ${JSON.stringify(name)} (1-64 of A-Z a-z 0-9 _ . -)`);
  requireConfig(mode === 'store' || mode === 'cache', `namespace ${name}: mode must be store or cache`);
  requireConfig(Number.isSafeInteger(memoryLimitBytes) && memoryLimitBytes >= 1024 * 1024, `namespace ${name}: memoryLimitBytes >= 1 MiB`);
  requireConfig(Number.isInteger(defaultTtlSec) && defaultTtlSec >= 0 && defaultTtlSec <= ttlSecMax, `namespace ${name}: defaultTtlSec`);
  requireConfig(Number.isInteger(maxKeyBytes) && maxKeyBytes >= 1 && maxKeyBytes <= keyBytesMaxHard, `namespace ${name}: maxKeyBytes 1..${keyBytesMaxHard}`);
  requireConfig(Number.isInteger(maxValueBytes) && maxValueBytes >= 0 && maxValueBytes <= valueBytesMaxHard, `namespace ${name}: maxValueBytes 0..${valueBytesMaxHard}`);
  return namespace;
}

export function normalizeEngineConfig(input: EngineConfigInput = {}): EngineConfig {
  const namespaces = (input.namespaces ?? [{ name: 'content' }]).map(normalizeNamespace);
  const config: EngineConfig = {
    shards: input.shards ?? defaultShardCount(),
    namespaces,
    changeLogCapacity: input.changeLogCapacity ?? 65536,
    sweepIntervalMs: input.sweepIntervalMs ?? 250,
    directReads: input.directReads ?? true,
  };
  requireConfig(Number.isInteger(config.shards) && config.shards >= 1 && config.shards <= 64, 'shards 1..64');
  requireConfig(namespaces.length >= 1 && namespaces.length <= namespacesMax, `1..${namespacesMax} namespaces`);
  requireConfig(new Set(namespaces.map((n) => n.name)).size === namespaces.length, 'namespace names must be unique');
  const capacity = config.changeLogCapacity;
  requireConfig(Number.isInteger(capacity) && capacity >= 1 && (capacity & (capacity - 1)) === 0, 'changeLogCapacity must be a power of two');
  requireConfig(Number.isInteger(config.sweepIntervalMs) && config.sweepIntervalMs >= 0, 'sweepIntervalMs >= 0');
  return config;
}
