// End to end through a real server process: GET /status and GET /metrics.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: testConfig() });
});

after(async () => {
  await server?.stop();
});

interface StatusDocument {
  version: string;
  state: string;
  uptimeSec: number;
  shards: number;
  namespaces: { name: string; mode: string; records: number; bytes: number }[];
}

test('/status: version, uptime, shards, namespaces with record counts and bytes', async () => {
  for (let index = 0; index < 3; index++) {
    await fetch(`${server.httpUrl}/v1/content/status/${index}`, { method: 'PUT', body: 'abcd' });
  }
  const response = await fetch(`${server.httpUrl}/status`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/json');
  const status = (await response.json()) as StatusDocument;
  assert.match(status.version, /^\d+\.\d+\.\d+/);
  assert.equal(status.state, 'running');
  assert.ok(status.uptimeSec >= 0);
  assert.ok(status.shards >= 1);
  const content = status.namespaces.find((namespace) => namespace.name === 'content');
  assert.ok(content !== undefined);
  assert.equal(content.mode, 'store');
  assert.equal(content.records, 3);
  assert.ok(content.bytes >= 3 * 4);
  assert.deepEqual(status.namespaces.map((namespace) => namespace.name).sort(), ['content', 'other']);
});

test('/metrics: Prometheus text with op counts and latency histograms', async () => {
  await fetch(`${server.httpUrl}/v1/content/metrics/a`, { method: 'PUT', body: 'x' });
  await fetch(`${server.httpUrl}/v1/content/metrics/a`);
  await fetch(`${server.httpUrl}/v1/content/metrics/missing`);
  await fetch(`${server.httpUrl}/v1/nowhere/x`);
  const response = await fetch(`${server.httpUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const sample = (name: string): number => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
    assert.ok(line !== undefined, `no sample ${name}`);
    return Number(line.slice(name.length + 1));
  };
  assert.ok(sample('tessera_ops_total{transport="http",op="put",status="Ok"}') >= 1);
  assert.ok(sample('tessera_ops_total{transport="http",op="get",status="Ok"}') >= 1);
  assert.ok(sample('tessera_ops_total{transport="http",op="get",status="NotFound"}') >= 1);
  assert.ok(sample('tessera_request_failures_total{transport="http",status="UnknownNamespace"}') >= 1);
  assert.ok(sample('tessera_request_duration_seconds_count{transport="http"}') >= 4);
  assert.ok(sample('tessera_request_duration_seconds_bucket{le="+Inf",transport="http"}') >= 4);
  assert.ok(sample('tessera_namespace_records{namespace="content"}') >= 1);
  assert.equal(sample('tessera_ws_connections'), 0);
  assert.match(text, /^# TYPE tessera_request_duration_seconds histogram$/m);
  assert.match(text, /^process_cpu_seconds_total /m);
});
