// What an operator reads in the log (JSON lines on stdout): the start line with the version, a
// config summary and the data dir; config warnings once; refused WebSocket connections logged
// once per 10 s with their reason, however many arrive. A real server process.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { connect } from '../client';
import { memoryAvailable } from './config/memory-check';
import { tesseraVersion } from './package-info';
import { spawnServer, testConfig } from './server-process.fixture';

function lineWith(logs: readonly string[], message: string): Record<string, unknown> {
  const line = logs.find((candidate) => candidate.includes(`"msg":"${message}`));
  assert.ok(line !== undefined, `no "${message}" line in:\n${logs.join('\n')}`);
  return JSON.parse(line) as Record<string, unknown>;
}

test('the start line: version, address, namespaces with their limits, data dir and fsync', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tessera-log-'));
  const server = await spawnServer({ config: testConfig({ persistence: { dataDir, fsync: 'everysec' }, namespaces: [{ name: 'content', mode: 'store', memoryLimitBytes: '64MiB' }, { name: 'pages', mode: 'cache', memoryLimitBytes: '32MiB' }] }) });
  try {
    const start = lineWith(server.logs, 'tessera listening');
    assert.equal(start['version'], tesseraVersion);
    assert.equal(start['port'], server.port);
    assert.deepEqual(start['namespaceLimits'], { content: 'store 64 MiB', pages: 'cache 32 MiB' });
    assert.equal(start['dataDir'], dataDir);
    assert.equal(start['fsync'], 'everysec');
    assert.equal(start['accessTokens'], 0);
    assert.equal(start['shutdownGraceMs'], 5000);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('refused WebSocket connections: logged once with the reason, the storm counted, not logged per connection', async () => {
  const server = await spawnServer({ config: testConfig({ limits: { maxConnections: 1 } }) });
  try {
    const held = await connect(server.wsUrl, { reconnect: false });
    try {
      for (let i = 0; i < 20; i++) {
        await assert.rejects(connect(server.wsUrl, { reconnect: false, connectTimeoutMs: 2000 }));
      }
    } finally {
      await held.close();
    }
    const refused = server.logs.filter((line) => line.includes('websocket connection refused'));
    assert.equal(refused.length, 1, refused.join('\n'));
    const fields = JSON.parse(refused[0] ?? '{}') as Record<string, unknown>;
    assert.deepEqual([fields['level'], fields['httpCode'], fields['status'], fields['reason']], [40, 503, 'Busy', 'more than 1 connections']);
  } finally {
    await server.stop();
  }
});

test('a config warning is logged once at start', async () => {
  // A namespace limit bigger than the memory available is refused; overcommit (limits adding up
  // past it) is a warning. Sized from what the server will measure, whatever the machine.
  const half = Math.floor(memoryAvailable().bytes / 2 / 1024 / 1024) * 1024 * 1024;
  const server = await spawnServer({ config: testConfig({ namespaces: [{ name: 'a', memoryLimitBytes: half }, { name: 'b', memoryLimitBytes: half }, { name: 'c', memoryLimitBytes: half }] }) });
  try {
    const warnings = server.logs.filter((line) => line.includes('"msg":"config: '));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /memoryLimitBytes add up to .* more than the .* available/);
  } finally {
    await server.stop();
  }
});
