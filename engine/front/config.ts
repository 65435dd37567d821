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
import type { AckPolicy, NamespaceConfig } from '../layout/types';
import { normalizeCachePolicy } from './cache-policy-config';
import { normalizePersistence, type PersistenceConfig, type PersistenceConfigInput } from './persistence-config';

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
  /** The WAL, snapshots and recovery; false = nothing is written (the in-process default). */
  persistence: PersistenceConfig | false;
  /** `replica` acks: replicas that must acknowledge a write (default 1). */
  minReplicas: number;
  /** `replica` acks: how long a write durable here waits for them before NotEnoughReplicas (default 2000). */
  replicaAckTimeoutMs: number;
}

export type NamespaceConfigInput = Partial<Omit<NamespaceConfig, 'ack'>> & { name: string; ack?: AckPolicy };
export interface EngineConfigInput {
  shards?: number;
  namespaces?: NamespaceConfigInput[];
  changeLogCapacity?: number;
  sweepIntervalMs?: number;
  directReads?: boolean;
  persistence?: PersistenceConfigInput;
  minReplicas?: number;
  replicaAckTimeoutMs?: number;
}

/**
 * One shard per core but one, which the front thread (network, change log) keeps: at least one,
 * at most 8. With a shard on every core, the front shares a core with a shard and every batch's
 * hand-over is a context switch: on 2 cores, 1 shard cost 2-12 % less server CPU per op than 2
 * (cdn and cms, pipeline 1 and 16, three alternated runs each; docs/PERFORMANCE.md).
 */
export function defaultShardCount(): number {
  return Math.max(1, Math.min(8, availableParallelism() - 1));
}

export function namespaceDefaults(name: string, persistent = false): NamespaceConfig {
  return {
    name,
    ack: persistent ? 'disk' : 'memory',
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

function normalizeNamespace(input: NamespaceConfigInput, persistent: boolean): NamespaceConfig {
  const namespace: NamespaceConfig = { ...namespaceDefaults(input.name, persistent), ...input };
  const { name, mode, memoryLimitBytes, defaultTtlSec, maxKeyBytes, maxValueBytes } = namespace;
  requireConfig(/^[A-Za-z0-9_.-]{1,64}$/.test(name), `namespace name ${JSON.stringify(name)} (1-64 of A-Z a-z 0-9 _ . -)`);
  requireConfig(mode === 'store' || mode === 'cache', `namespace ${name}: mode must be store or cache`);
  requireConfig(namespace.ack === 'memory' || namespace.ack === 'disk' || namespace.ack === 'replica', `namespace ${name}: ack must be memory, disk or replica, got ${JSON.stringify(namespace.ack)}`);
  requireConfig(namespace.ack === 'memory' || persistent, `namespace ${name}: ack "${namespace.ack}" needs persistence (a data dir)`);
  requireConfig(Number.isSafeInteger(memoryLimitBytes) && memoryLimitBytes >= 1024 * 1024, `namespace ${name}: memoryLimitBytes >= 1 MiB`);
  requireConfig(Number.isInteger(defaultTtlSec) && defaultTtlSec >= 0 && defaultTtlSec <= ttlSecMax, `namespace ${name}: defaultTtlSec`);
  requireConfig(Number.isInteger(maxKeyBytes) && maxKeyBytes >= 1 && maxKeyBytes <= keyBytesMaxHard, `namespace ${name}: maxKeyBytes 1..${keyBytesMaxHard}`);
  requireConfig(Number.isInteger(maxValueBytes) && maxValueBytes >= 0 && maxValueBytes <= valueBytesMaxHard, `namespace ${name}: maxValueBytes 0..${valueBytesMaxHard}`);
  if (input.cache !== undefined) namespace.cache = normalizeCachePolicy(input.cache, name);
  return namespace;
}

export function normalizeEngineConfig(input: EngineConfigInput = {}): EngineConfig {
  const persistence = normalizePersistence(input.persistence);
  const namespaces = (input.namespaces ?? [{ name: 'content' }]).map((namespace) => normalizeNamespace(namespace, persistence !== false));
  const config: EngineConfig = {
    shards: input.shards ?? defaultShardCount(),
    namespaces,
    changeLogCapacity: input.changeLogCapacity ?? 65536,
    sweepIntervalMs: input.sweepIntervalMs ?? 250,
    directReads: input.directReads ?? true,
    persistence,
    minReplicas: input.minReplicas ?? 1,
    replicaAckTimeoutMs: input.replicaAckTimeoutMs ?? 2000,
  };
  requireConfig(Number.isInteger(config.shards) && config.shards >= 1 && config.shards <= 64, 'shards 1..64');
  requireConfig(namespaces.length >= 1 && namespaces.length <= namespacesMax, `1..${namespacesMax} namespaces`);
  requireConfig(new Set(namespaces.map((n) => n.name)).size === namespaces.length, 'namespace names must be unique');
  const capacity = config.changeLogCapacity;
  requireConfig(Number.isInteger(capacity) && capacity >= 1 && (capacity & (capacity - 1)) === 0, 'changeLogCapacity must be a power of two');
  requireConfig(Number.isInteger(config.sweepIntervalMs) && config.sweepIntervalMs >= 0, 'sweepIntervalMs >= 0');
  requireConfig(Number.isInteger(config.minReplicas) && config.minReplicas >= 1 && config.minReplicas <= 64, 'minReplicas 1..64');
  requireConfig(Number.isInteger(config.replicaAckTimeoutMs) && config.replicaAckTimeoutMs >= 1 && config.replicaAckTimeoutMs <= 600_000, 'replicaAckTimeoutMs 1..600000');
  return config;
}
