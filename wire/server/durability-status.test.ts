// The operator's view of durability through a real server process: /status's persistence object
// and the tessera_* durability metrics, and how they move with writes and snapshots; the snapshot
// endpoint (POST /v1/admin/snapshot) and `tessera snapshot`; and a node without persistence.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dataDirMaker, metricSample, persistentConfig, putText, readMetrics, readStatus, runCli, waitRecovered, type PersistenceDocument } from './durability.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const newDataDir = dataDirMaker();
let server: ServerProcess;
let dataDir: string;

before(async () => {
  dataDir = newDataDir();
  server = await spawnServer({ config: persistentConfig(dataDir) });
  await waitRecovered(server.httpUrl);
});

after(async () => {
  await server?.stop();
});

async function persistence(): Promise<PersistenceDocument> {
  const status = await readStatus(server.httpUrl);
  assert.ok(status.persistence !== false, 'a persisting node has a persistence object');
  return status.persistence;
}

test('/status: the persistence object, and the durable LSN and WAL figures grow with writes', async () => {
  const before = await persistence();
  assert.equal(before.dataDir, dataDir);
  assert.match(before.historyId, /^[0-9a-f]{32}$/);
  assert.equal(before.fsync, 'always');
  assert.equal(before.state, 'ready');
  assert.equal(before.failure, null);
  assert.ok(before.recovery !== null && before.recovery.ms >= 0);
  for (let index = 0; index < 10; index++) assert.equal((await putText(server.httpUrl, `status/${index}`, 'abc')).status, 201);
  const status = await readStatus(server.httpUrl);
  const after = status.persistence as PersistenceDocument;
  // fsync always and ack disk: an answered write is durable, so the durable LSN has reached it.
  assert.ok(after.durableLsn >= before.durableLsn + 10, `durable LSN ${before.durableLsn} → ${after.durableLsn}`);
  assert.equal(after.durableLsn, status.lastLsn);
  assert.ok(after.walBytes > before.walBytes);
  assert.ok(after.walSegments >= 1);
  assert.ok(after.fsyncs > before.fsyncs);
});

test('/metrics: durable LSN, WAL, fsync histogram, snapshot and recovery figures', async () => {
  const first = await readMetrics(server.httpUrl);
  for (const name of ['tessera_durable_lsn', 'tessera_wal_bytes', 'tessera_wal_segments', 'tessera_fsyncs_total', 'tessera_fsync_seconds_count',
    'tessera_last_snapshot_lsn', 'tessera_last_snapshot_age_seconds', 'tessera_snapshots_total', 'tessera_snapshot_failures_total', 'tessera_recovery_seconds', 'tessera_persistence_failed']) {
    assert.notEqual(metricSample(first, name), undefined, `no sample ${name}`);
  }
  assert.match(first, /^# TYPE tessera_fsync_seconds histogram$/m);
  assert.equal(metricSample(first, 'tessera_persistence_failed'), 0);
  for (let index = 0; index < 5; index++) await putText(server.httpUrl, `metrics/${index}`, 'x');
  const second = await readMetrics(server.httpUrl);
  const durable = (text: string): number => metricSample(text, 'tessera_durable_lsn') ?? Number.NaN;
  assert.ok(durable(second) >= durable(first) + 5);
  assert.equal(durable(second), (await readStatus(server.httpUrl)).lastLsn);
  const fsyncs = metricSample(second, 'tessera_fsyncs_total') ?? 0;
  const observed = metricSample(second, 'tessera_fsync_seconds_count') ?? 0;
  assert.ok(fsyncs > (metricSample(first, 'tessera_fsyncs_total') ?? 0));
  // Every fsync so far was observed once (the ring holds more than this test makes between scrapes).
  assert.equal(observed, fsyncs);
  assert.ok((metricSample(second, 'tessera_fsync_seconds_sum') ?? 0) > 0);
  assert.equal(metricSample(second, 'tessera_fsync_seconds_bucket{le="+Inf"}'), observed);
});

test('POST /v1/admin/snapshot: 200 with { lsn, path, records, bytes, ms }; /status and /metrics follow', async () => {
  for (let index = 0; index < 10; index++) await putText(server.httpUrl, `snap/${index}`, `value ${index}`);
  const lastLsn = (await readStatus(server.httpUrl)).lastLsn;
  const response = await fetch(`${server.httpUrl}/v1/admin/snapshot`, { method: 'POST' });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/json');
  const report = (await response.json()) as { lsn: number; path: string; records: number; bytes: number; ms: number };
  assert.deepEqual(Object.keys(report).sort(), ['bytes', 'lsn', 'ms', 'path', 'records']);
  assert.equal(report.lsn, lastLsn);
  assert.ok(report.path.startsWith(dataDir), report.path);
  assert.ok(report.records >= 10, `records ${report.records}`);
  assert.ok(report.bytes > 0 && report.ms >= 0);
  const status = await persistence();
  assert.equal(status.lastSnapshot?.lsn, report.lsn);
  assert.equal(status.lastSnapshot?.records, report.records);
  assert.ok((status.lastSnapshot?.ageSec ?? -1) >= 0);
  const metrics = await readMetrics(server.httpUrl);
  assert.equal(metricSample(metrics, 'tessera_last_snapshot_lsn'), report.lsn);
  assert.ok((metricSample(metrics, 'tessera_snapshots_total') ?? 0) >= 1);
  assert.ok((metricSample(metrics, 'tessera_last_snapshot_age_seconds') ?? -1) >= 0);
  assert.equal(metricSample(metrics, 'tessera_snapshot_failures_total'), 0);
  // Other methods on the path are not the snapshot (the content API answers them).
  assert.notEqual((await fetch(`${server.httpUrl}/v1/admin/snapshot`)).status, 200);
});

test('tessera snapshot: prints the report; --url or TESSERA_URL (a ws URL) names the node', async () => {
  await putText(server.httpUrl, 'cli/snapshot', 'x');
  const lastLsn = (await readStatus(server.httpUrl)).lastLsn;
  const byFlag = runCli(['snapshot', '--url', server.httpUrl]);
  assert.equal(byFlag.status, 0, byFlag.stderr);
  const report = JSON.parse(byFlag.stdout) as { lsn: number; records: number };
  assert.equal(report.lsn, lastLsn);
  assert.equal((await persistence()).lastSnapshot?.lsn, lastLsn);
  const byEnv = runCli(['snapshot'], { TESSERA_URL: server.wsUrl });
  assert.equal(byEnv.status, 0, byEnv.stderr);
  assert.equal((JSON.parse(byEnv.stdout) as { lsn: number }).lsn, lastLsn);
  const help = runCli(['--help']);
  assert.match(help.stdout, /tessera snapshot \[--url URL\]/);
  const unreachable = runCli(['snapshot', '--url', 'http://127.0.0.1:1']);
  assert.equal(unreachable.status, 1);
  assert.match(unreachable.stderr, /^tessera: cannot reach http:\/\/127\.0\.0\.1:1/);
  assert.equal(runCli(['snapshot', '--url', 'ftp://x']).status, 2);
  assert.equal(runCli(['snapshot', 'extra']).status, 2);
});

test('a node without persistence: /status persistence false, no durability metrics, snapshot refused with a typed 400', async () => {
  const memory = await spawnServer({ config: testConfig() });
  try {
    const status = await readStatus(memory.httpUrl);
    assert.equal(status.persistence, false);
    assert.equal(status.state, 'running');
    const metrics = await readMetrics(memory.httpUrl);
    assert.equal(metricSample(metrics, 'tessera_durable_lsn'), undefined);
    const response = await fetch(`${memory.httpUrl}/v1/admin/snapshot`, { method: 'POST' });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: string; message: string };
    assert.equal(body.error, 'InvalidArgument');
    assert.match(body.message, /does not persist/);
    const cli = runCli(['snapshot', '--url', memory.httpUrl]);
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /^tessera: snapshot refused \(HTTP 400\): InvalidArgument: /);
    assert.ok(memory.logs.some((line) => line.includes('"persistence":false') && line.includes('tessera listening')), 'the start line says persistence false');
  } finally {
    await memory.stop();
  }
  assert.ok(server.logs.some((line) => line.includes('tessera listening') && line.includes(`"dataDir":"${dataDir}"`) && line.includes('"fsync":"always"') && line.includes('"version"')),
    'the start line names the version, data dir and fsync policy');
  assert.ok(server.logs.some((line) => /"msg":"recovered in \d+ ms/.test(line)), 'recovery done is logged');
});
