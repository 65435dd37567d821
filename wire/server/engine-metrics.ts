// The engine's and the subscriptions' figures on /metrics, one metric per figure (Prometheus
// naming: a unit suffix, `_total` for counters). All are read at scrape time from counters the
// engine and the hub already keep (one engine.stats() and one hub.stats() per scrape): nothing is
// added per op (scraped-figures.ts: one reading per scrape).

import type { Registry } from 'prom-client';
import type { EngineStats, NamespaceStats } from '../../engine/layout/types';
import { ScrapedFigures } from './scraped-figures';
import type { HubStats } from './subscriptions';

export interface EngineMetricSources {
  engineStats(): EngineStats;
  subscriptions(): HubStats | null;
  /** Unread output summed over every WebSocket connection (subscriber backpressure included). */
  bufferedOutputBytes(): number;
  /** Writes refused OutOfMemory since start (both transports), from the op counters. */
  outOfMemoryRefusals(): number;
}

interface Figures {
  engine: EngineStats;
  hub: HubStats | null;
}

export function registerEngineMetrics(registry: Registry, sources: EngineMetricSources): void {
  const figures = new ScrapedFigures<Figures>(registry, () => ({ engine: sources.engineStats(), hub: sources.subscriptions() }));
  const gauge = figures.gauge.bind(figures);
  const counter = figures.counter.bind(figures);
  const perNamespace = (name: string, help: string, read: (namespace: NamespaceStats) => number, kind: 'gauge' | 'counter'): void => {
    figures.labelled(kind, name, help, 'namespace', (current) => current.engine.namespaces.map((namespace) => [namespace.name, read(namespace)] as const));
  };

  gauge('tessera_shards', 'Shard threads', (current) => current.engine.shards);
  gauge('tessera_last_lsn', 'The LSN of the newest change in the change log', (current) => current.engine.lastLsn);
  counter('tessera_shard_restarts_total', 'Shard threads that died and were replaced (each re-attaches its memory, nothing is lost)', (current) => current.engine.shardRestarts);
  gauge('tessera_table_bytes', 'SharedArrayBuffer bytes in use across shards (tables and journals)', (current) => current.engine.tableBytes);
  perNamespace('tessera_namespace_records', 'Records held, by namespace', (namespace) => namespace.records, 'gauge');
  perNamespace('tessera_namespace_bytes', 'Record bytes (slot sizes) held, by namespace', (namespace) => namespace.bytes, 'gauge');
  perNamespace('tessera_namespace_limit_bytes', 'The namespace\'s memoryLimitBytes: a store namespace refuses writes (OutOfMemory) and a cache namespace evicts past it', (namespace) => namespace.memoryLimitBytes, 'gauge');
  perNamespace('tessera_evictions_total', 'Records evicted from a cache namespace to make room, by namespace', (namespace) => namespace.evictions, 'counter');
  perNamespace('tessera_expirations_total', 'Records removed because their TTL passed (on a read or by the sweep), by namespace', (namespace) => namespace.expirations, 'counter');
  counter('tessera_out_of_memory_refusals_total', 'Writes refused OutOfMemory (a store namespace at its limit), both transports', () => sources.outOfMemoryRefusals());
  gauge('tessera_subscriptions', 'Live subscriptions, over every connection', (current) => current.hub?.subscriptions ?? null);
  gauge('tessera_subscriber_connections', 'Connections with at least one subscription', (current) => current.hub?.sessions ?? null);
  gauge('tessera_subscribers_catching_up', 'Subscriber connections switched from live delivery to catch-up from the change log right now (their unread output passed limits.subscriberBackpressureBytes)', (current) => current.hub?.catchingUp ?? null);
  counter('tessera_subscriber_catch_ups_total', 'Times a slow subscriber connection was switched to catch-up', (current) => current.hub?.fellBehind ?? null);
  counter('tessera_subscription_gaps_total', 'Gap events sent: changes a resuming or catching-up subscriber could no longer be sent', (current) => current.hub?.gapsSent ?? null);
  counter('tessera_events_published_total', 'Change events published to subscription topics', (current) => current.hub?.eventsPublished ?? null);
  counter('tessera_event_bytes_published_total', 'Bytes of change events published to subscription topics', (current) => current.hub?.bytesPublished ?? null);
  gauge('tessera_buffered_output_bytes', 'Unread output summed over every WebSocket connection and HTTP response being written (limits.maxBufferedOutputBytes bounds it)', () => sources.bufferedOutputBytes());
}
