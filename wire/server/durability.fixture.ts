// Test support for the durability tests of the server (issue 11): a persisting config on a
// temporary data dir, waiting for recovery to end, reading /status and /metrics figures, and
// running the built CLI.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { cliPath, testConfig } from './server-process.fixture';

const recoveryWaitMs = 10_000;
const pollMs = 20;

/** A maker of temporary data dirs, all removed after the calling test file. Call at module top level. */
export function dataDirMaker(): () => string {
  const made: string[] = [];
  after(() => {
    for (const directory of made) rmSync(directory, { recursive: true, force: true });
  });
  return () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'tessera-durable-'));
    made.push(directory);
    return path.join(directory, 'data');
  };
}

/** The test config with a data dir and fsync always, given explicitly. */
export function persistentConfig(dataDir: string, persistence: object = {}): object {
  return testConfig({ persistence: { dataDir, fsync: 'always', ...persistence } });
}

export interface PersistenceDocument {
  dataDir: string;
  historyId: string;
  fsync: string;
  state: string;
  failure: string | null;
  durableLsn: number;
  walBytes: number;
  walSegments: number;
  fsyncs: number;
  snapshotsTaken: number;
  lastSnapshot: { lsn: number; ageSec: number; records: number; bytes: number; ms: number } | null;
  recovery: { ms: number; snapshotLsn: number; snapshotRecords: number; walRecords: number; lastLsn: number; walDroppedBytes: number; walDroppedRecords: number } | null;
}

export interface StatusDocument {
  state: string;
  lastLsn: number;
  persistence: PersistenceDocument | false;
}

export async function readStatus(httpUrl: string): Promise<StatusDocument> {
  const response = await fetch(`${httpUrl}/status`);
  return (await response.json()) as StatusDocument;
}

/** Polls /status until the node has recovered its data dir (state running), bounded in time. */
export async function waitRecovered(httpUrl: string): Promise<StatusDocument> {
  const deadline = Date.now() + recoveryWaitMs;
  for (let attempt = 0; Date.now() < deadline && attempt < recoveryWaitMs / pollMs; attempt++) {
    const status = await readStatus(httpUrl);
    if (status.state === 'running') return status;
    assert.equal(status.state, 'recovering');
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`${httpUrl} did not finish recovering within ${recoveryWaitMs} ms`);
}

/** The value of one sample line of a Prometheus text (`name` includes its labels), or undefined. */
export function metricSample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

export async function readMetrics(httpUrl: string): Promise<string> {
  const response = await fetch(`${httpUrl}/metrics`);
  assert.equal(response.status, 200);
  return response.text();
}

/** Runs the built `tessera` CLI to completion (bounded). */
export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env }, ...(cwd === undefined ? {} : { cwd }) });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export async function putText(httpUrl: string, key: string, value: string): Promise<Response> {
  return fetch(`${httpUrl}/v1/content/${key}`, { method: 'PUT', body: value, headers: { 'Content-Type': 'text/plain' } });
}
