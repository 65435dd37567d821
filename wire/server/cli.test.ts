// The command line, run as real processes: --help, usage errors, and get / put / delete / scan
// against a real server.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cliPath, spawnServer, testConfig, type ServerProcess } from './server-process.fixture';
import { createTokenEntry } from './token-command';

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
  const threads = tessera(['serve', '--no-persistence', '--io-threads', '0']);
  assert.equal(threads.status, 1);
  assert.deepEqual(threads.stderr.trim().split('\n'), ['tessera: invalid config: --io-threads must be an integer in 1..64, got 0']);
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

test('every command has its own --help page, exit 0', () => {
  const pages: [string[], RegExp][] = [
    [['serve', '--help'], /Usage: tessera serve[\s\S]*--io-threads N {5}uWS I\/O threads on the one port \(default 1; env TESSERA_IO_THREADS\)[\s\S]*--data-dir DIR/],
    [['config', '--help'], /Usage: tessera config check FILE/],
    [['token', '--help'], /Usage: tessera token create/],
    [['get', '--help'], /Usage: tessera get <key>/],
    [['put', '-h'], /Usage: tessera put <key> \[value\][\s\S]*--ttl SECONDS/],
    [['delete', '--help'], /Usage: tessera delete <key>/],
    [['scan', '--help'], /Usage: tessera scan[\s\S]*hash order[\s\S]*--sort/],
    [['snapshot', '--help'], /Usage: tessera snapshot/],
    [['promote', '--help'], /Usage: tessera promote/],
    [['failover', '--help'], /Usage: tessera failover --to/],
  ];
  for (const [args, page] of pages) {
    const result = tessera(args);
    assert.equal(result.status, 0, args.join(' '));
    assert.match(result.stdout, page, args.join(' '));
    assert.doesNotMatch(result.stdout, /^Usage:\n/m, `${args.join(' ')}: its own page, not the summary`);
  }
});

test('a usage error is one line that names the command\'s help', () => {
  const result = tessera(['scan', '--bogus']);
  assert.equal(result.status, 2);
  assert.deepEqual(result.stderr.trim().split('\n'), ["tessera: Unknown option '--bogus' (tessera scan --help for usage)"]);
});

test('scan says nothing of order by default (hash order); --sort sorts the page', () => {
  const keys = ['sort/d', 'sort/a', 'sort/c', 'sort/b', 'sort/e', 'sort/aa'];
  for (const key of keys) assert.equal(tessera(['put', key, 'v']).status, 0);
  const sorted = tessera(['scan', 'sort/', '--sort']);
  assert.equal(sorted.status, 0, sorted.stderr);
  assert.deepEqual(sorted.stdout.trim().split('\n'), [...keys].sort());
  const plain = tessera(['scan', 'sort/']);
  assert.deepEqual(plain.stdout.trim().split('\n').sort(), [...keys].sort(), 'the same keys, in hash order');
});

test('a client command against no server: one plain line, the URL named once', () => {
  const url = 'ws://127.0.0.1:1/v1/ws';
  const result = tessera(['get', 'x', '--url', url]);
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] ?? '', /^tessera: cannot connect to ws:\/\/127\.0\.0\.1:1\/v1\/ws: nothing listens there/);
  assert.equal(lines[0]?.split(url).length, 2, 'the URL appears once');
});

test('a refused connection says why: HTTP 401 without a token, in one line', async () => {
  const { entry, token } = createTokenEntry('cli', { '*': 'write' });
  const guarded = await spawnServer({ config: { ...testConfig(), auth: { tokens: [entry] } } });
  try {
    const refused = tessera(['get', 'x', '--url', guarded.wsUrl]);
    assert.equal(refused.status, 1);
    assert.deepEqual(refused.stderr.trim().split('\n'), [
      `tessera: cannot connect to ${guarded.wsUrl}: the server refused the connection with HTTP 401: Unauthorized (send Authorization: Bearer <token> or ?access_token=<token>); pass --token or set TESSERA_TOKEN`,
    ]);
    const admitted = tessera(['put', 'k', 'v', '--url', guarded.wsUrl, '--token', token]);
    assert.equal(admitted.status, 0, admitted.stderr);
  } finally {
    await guarded.stop();
  }
});

test('serve on a port in use: exit 1, one plain line on stderr, no stack trace', () => {
  const result = tessera(['serve', '--no-persistence', '--port', String(server.port)]);
  assert.equal(result.status, 1);
  assert.deepEqual(result.stderr.trim().split('\n'), [`tessera: cannot listen on 127.0.0.1:${server.port} (address in use, or not an address of this machine)`]);
  assert.doesNotMatch(result.stdout + result.stderr, /\bat \S+ \(|"stack"/, 'no stack trace');
});

test('config check: ok with exit 0; every problem on its own line with its path, exit 1', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'tessera-config-'));
  try {
    const good = path.join(folder, 'good.json');
    writeFileSync(good, JSON.stringify({ $schema: './config.schema.json', port: 7171, engine: { namespaces: [{ name: 'content', memoryLimitBytes: '64MiB' }] }, persistence: false }));
    const ok = tessera(['config', 'check', good]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, `${good}: ok\n`);
    const bad = path.join(folder, 'bad.json');
    writeFileSync(bad, JSON.stringify({ engine: { changelogCapacity: 1024, namespaces: [{ name: 'content', maxKeyByte: 10, memoryLimitBytes: '1 gigabyte' }] }, limits: { idleTimeoutSec: 3 } }));
    const refused = tessera(['config', 'check', bad]);
    assert.equal(refused.status, 1);
    assert.deepEqual(refused.stderr.trim().split('\n'), [
      `${bad}: engine.namespaces[0].memoryLimitBytes must be a size in 1 MiB..64 TiB (bytes, or a string such as "512MiB" or "1GiB")`,
      `${bad}: unknown field engine.namespaces[0].maxKeyByte`,
      `${bad}: unknown field engine.changelogCapacity`,
      `${bad}: limits.idleTimeoutSec must be 0 or 8..960 (uWS)`,
    ]);
    assert.equal(tessera(['config', 'check', path.join(folder, 'missing.json')]).status, 1);
    assert.equal(tessera(['config', 'check']).status, 2, 'no file: a usage error');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('config print: defaults, file, environment and flags merged, engine defaults filled in', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'tessera-config-'));
  try {
    const file = path.join(folder, 'c.json');
    writeFileSync(file, JSON.stringify({ port: 7171, logLevel: 'debug', ioThreads: 2, engine: { shards: 2, namespaces: [{ name: 'pages', mode: 'cache', memoryLimitBytes: '64MiB' }] } }));
    const result = spawnSync(process.execPath, [cliPath, 'config', 'print', '--config', file, '--port', '7272', '--no-persistence', '--io-threads', '3'], { encoding: 'utf8', timeout: 10_000, env: { ...process.env, TESSERA_LOG_LEVEL: 'warn', TESSERA_IO_THREADS: '4' } });
    assert.equal(result.status, 0, result.stderr);
    const printed = JSON.parse(result.stdout) as { port: number; logLevel: string; ioThreads: number; persistence: unknown; engine: { shards: number; changeLogCapacity: number; namespaces: { name: string; memoryLimitBytes: number; maxKeyBytes: number; ack: string }[] } };
    assert.equal(printed.port, 7272, 'the flag wins');
    assert.equal(printed.logLevel, 'warn', 'the environment wins over the file');
    assert.equal(printed.ioThreads, 3, '--io-threads wins over TESSERA_IO_THREADS and the file');
    assert.equal(printed.persistence, false);
    assert.equal(printed.engine.shards, 2);
    assert.equal(printed.engine.changeLogCapacity, 65536, 'an engine default, filled in');
    assert.deepEqual(printed.engine.namespaces.map(({ name, memoryLimitBytes, maxKeyBytes, ack }) => ({ name, memoryLimitBytes, maxKeyBytes, ack })), [{ name: 'pages', memoryLimitBytes: 64 * 1024 * 1024, maxKeyBytes: 1024, ack: 'memory' }]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
