// The engine's figures for /status, /metrics and benchmarks, read from the shards' tables through
// read-only TableReaders and from the shard links' counters. Nothing here runs per op.

import { partitionCount } from '../layout/limits';
import type { TableReader } from '../layout/table-reader';
import type { EngineStats, NamespaceConfig } from '../layout/types';
import type { DirectRead } from './direct-read';
import type { ShardLink } from './shard-link';

export interface ShardCounters {
  shard: number;
  batches: number;
  ops: number;
  restarts: number;
  tableBytes: number;
  indexCapacity: number;
  directReads: number;
  directFallbacks: number;
}

/** What the figures are read from. */
export interface StatsSources {
  namespaces: readonly NamespaceConfig[];
  tables: readonly TableReader[];
  links: readonly ShardLink[];
  directReads: readonly DirectRead[] | null;
}

export function engineStats(sources: StatsSources, lastLsn: number): EngineStats {
  const { tables, links } = sources;
  const namespaces = sources.namespaces.map((namespace, id) => {
    let records = 0;
    let bytes = 0;
    let evictions = 0;
    let expirations = 0;
    for (const table of tables) {
      table.refreshViews();
      records += table.namespaceRecords(id);
      bytes += table.namespaceBytes(id);
      evictions += table.namespaceEvictions(id);
      expirations += table.namespaceExpirations(id);
    }
    return { name: namespace.name, mode: namespace.mode, records, bytes, memoryLimitBytes: namespace.memoryLimitBytes, evictions, expirations };
  });
  return {
    shards: links.length,
    partitions: partitionCount,
    namespaces,
    lastLsn,
    shardRestarts: links.reduce((sum, link) => sum + link.restarts, 0),
    tableBytes: tables.reduce((sum, table) => sum + table.usedBytes, 0),
  };
}

export function shardCounters(sources: StatsSources): ShardCounters[] {
  return sources.links.map((link, shard) => ({
    directReads: sources.directReads?.[shard]!.reads ?? 0,
    directFallbacks: sources.directReads?.[shard]!.fallbacks ?? 0,
    shard,
    batches: link.batchesSent,
    ops: link.opsSent,
    restarts: link.restarts,
    tableBytes: sources.tables[shard]!.usedBytes,
    indexCapacity: sources.tables[shard]!.indexCapacity,
  }));
}
