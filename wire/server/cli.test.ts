// The command line, run as real processes: --help, usage errors, and get / put / delete / scan
// against a real server.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { cliPath, spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: testConfig() });
});

after(async () => {
  await server?.stop();
});

function tessera(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cliPath, ...args], { input, encoding: 'utf8', timeout: 10_000, env: { ...process.env, TESSERA_URL: server.wsUrl } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('--help prints usage and exits 0; no command exits 2', () => {
  const help = tessera(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage:/);
  assert.match(help.stdout, /tessera serve/);
  assert.equal(tessera([]).status, 2);
});

test('usage errors exit 2 with a message', () => {
  for (const args of [['bogus'], ['get'], ['serve', '--bogus'], ['put', 'k', 'v', 'extra'], ['put', 'k', 'v', '--ttl', 'soon']]) {
    const result = tessera(args);
    assert.equal(result.status, 2, args.join(' '));
    assert.match(result.stderr, /tessera: /);
  }
});

test('serve refuses a bad config with a clear message', () => {
  const result = tessera(['serve', '--port', '99999']);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /port must be an integer in 0\.\.65535/);
});

test('put from an argument and from stdin, get, scan, delete', () => {
  const put = tessera(['put', 'cli/one', 'first value', '--content-type', 'text/plain']);
  assert.equal(put.status, 0, put.stderr);
  assert.deepEqual(JSON.parse(put.stdout), { key: 'cli/one', generation: 1 });
  const fromStdin = tessera(['put', 'cli/two', '--ttl', '60'], 'from stdin');
  assert.equal(fromStdin.status, 0, fromStdin.stderr);
  assert.equal(tessera(['get', 'cli/one']).stdout, 'first value');
  assert.equal(tessera(['get', 'cli/two']).stdout, 'from stdin');
  const scan = tessera(['scan', 'cli/']);
  assert.deepEqual(scan.stdout.trim().split('\n').sort(), ['cli/one', 'cli/two']);
  const long = tessera(['scan', 'cli/', '--long', '--limit', '1']);
  const lines = long.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.equal(typeof (JSON.parse(lines[0] ?? '{}') as { generation?: unknown }).generation, 'number');
  assert.equal(tessera(['delete', 'cli/one']).status, 0);
  const missing = tessera(['get', 'cli/one']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /NotFound/);
  assert.equal(tessera(['delete', 'cli/one']).status, 1);
});

test('a client command against no server fails with exit 1 and says why', () => {
  const result = tessera(['get', 'x', '--url', 'ws://127.0.0.1:1/v1/ws']);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /cannot connect/);
});
