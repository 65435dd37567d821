// An I/O thread counts what it answers in metrics of its own and hands them to the front's
// (io-threads/io-worker.ts): takeCounters moves everything out and resets, addCounters adds it in,
// so the front's /metrics shows every thread's ops and latencies once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Status } from '../../engine/layout/status';
import { opKindIndex, ServerMetrics, transportIndex, type MetricSources } from './metrics';

const sources: MetricSources = {
  engineStats: () => ({ shards: 1, partitions: 4096, namespaces: [], lastLsn: 0, shardRestarts: 0, tableBytes: 0 }),
  connections: () => 0,
  requestsInFlight: () => 0,
  subscriptions: () => null,
  bufferedOutputBytes: () => 0,
};

function line(text: string, prefix: string): string | undefined {
  return text.split('\n').find((candidate) => candidate.startsWith(prefix));
}

test('counts and latencies taken from one thread\'s metrics are added to the front\'s, once', async () => {
  const front = new ServerMetrics(sources, { defaultMetrics: false });
  const thread = new ServerMetrics(sources, { defaultMetrics: false });
  front.countOpKind(transportIndex.http, opKindIndex.get, Status.Ok);
  for (let index = 0; index < 3; index++) thread.countOpKind(transportIndex.http, opKindIndex.get, Status.Ok);
  thread.countOpKind(transportIndex.ws, opKindIndex.head, Status.NotFound);
  thread.countRequestFailure(transportIndex.ws, Status.Busy);
  thread.latency('ws').observe(0.0002);
  thread.latency('http').observe(0.003);
  const counters = new Float64Array(thread.counterSlots);
  thread.takeCounters(counters);
  front.addCounters(counters);
  const text = await front.render();
  assert.equal(line(text, 'tessera_ops_total{transport="http",op="get",status="Ok"}'), 'tessera_ops_total{transport="http",op="get",status="Ok"} 4');
  assert.equal(line(text, 'tessera_ops_total{transport="ws",op="head",status="NotFound"}'), 'tessera_ops_total{transport="ws",op="head",status="NotFound"} 1');
  assert.equal(line(text, 'tessera_request_failures_total{transport="ws",status="Busy"}'), 'tessera_request_failures_total{transport="ws",status="Busy"} 1');
  assert.equal(line(text, 'tessera_request_duration_seconds_count{transport="ws"}'), 'tessera_request_duration_seconds_count{transport="ws"} 1');
  assert.equal(line(text, 'tessera_request_duration_seconds_bucket{le="0.00025",transport="ws"}'), 'tessera_request_duration_seconds_bucket{le="0.00025",transport="ws"} 1');
  assert.equal(line(text, 'tessera_request_duration_seconds_bucket{le="0.0025",transport="http"}'), 'tessera_request_duration_seconds_bucket{le="0.0025",transport="http"} 0');
  assert.equal(line(text, 'tessera_request_duration_seconds_count{transport="http"}'), 'tessera_request_duration_seconds_count{transport="http"} 1');
  // Taken means gone from the thread: a second take adds nothing.
  thread.takeCounters(counters);
  assert.ok(counters.every((count) => count === 0), 'the thread was reset');
  front.addCounters(counters);
  assert.equal(line(await front.render(), 'tessera_ops_total{transport="http",op="get",status="Ok"}'), 'tessera_ops_total{transport="http",op="get",status="Ok"} 4');
});
