// Test support (not a test): runs the built CLI's `serve` as a real child process on a free port
// of 127.0.0.1, reads the port it got from its "tessera listening" log line, and stops it by PID.
// Paths are computed from this file's folder, so the tests work from dist/ and from any out dir.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const cliPath = path.join(__dirname, '..', '..', 'bin', 'tessera.js');
/** The CLI with the test-only engine hooks (serve-with-hooks.fixture.ts). */
export const cliWithHooksPath = path.join(__dirname, 'serve-with-hooks.fixture.js');

const startTimeoutMs = 10_000;
const stopTimeoutMs = 10_000;
const logLinesKept = 200;

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** The last log lines (JSON text), for failure messages. */
  readonly logs: string[];
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not exited within the stop timeout. Safe to call twice. */
  stop(): Promise<number | string>;
}

export interface SpawnOptions {
  /** Written to a temporary JSON file and passed with --config. */
  config?: object;
  args?: string[];
  env?: Record<string, string>;
  /** Start the CLI with the test-only engine hooks (engine-delay.fixture.ts) instead of bin/tessera. */
  testHooks?: boolean;
}

/** A config small enough for tests: one shard, and small limits that are quick to exceed. */
export function testConfig(overrides: { limits?: object; namespaces?: object[]; persistence?: object | false } = {}): object {
  return {
    logLevel: 'info',
    // Most tests are about memory behaviour; the durability tests ask for a data dir themselves.
    persistence: overrides.persistence ?? false,
    engine: {
      shards: 1,
      sweepIntervalMs: 0,
      namespaces: overrides.namespaces ?? [
        { name: 'content', mode: 'store', maxKeyBytes: 256, maxValueBytes: 64 * 1024 },
        { name: 'other', mode: 'cache' },
      ],
    },
    limits: { shutdownGraceMs: 5000, ...overrides.limits },
  };
}

export async function spawnServer(options: SpawnOptions = {}): Promise<ServerProcess> {
  const folder = mkdtempSync(path.join(tmpdir(), 'tessera-test-'));
  const args = [options.testHooks === true ? cliWithHooksPath : cliPath, 'serve', '--host', '127.0.0.1', '--port', '0', ...(options.args ?? [])];
  if (options.config !== undefined) {
    const file = path.join(folder, 'config.json');
    // A test's own config is about memory behaviour unless it names persistence: no data dir then.
    // (A spawn with no config at all runs the embedded default, data dir included, in its folder.)
    const config = 'persistence' in options.config ? options.config : { ...options.config, persistence: false };
    writeFileSync(file, JSON.stringify(config));
    args.push('--config', file);
  }
  const child = spawn(process.execPath, args, {
    // The embedded default persists to ./data: keep a test server's default data dir in its folder.
    cwd: folder,
    env: { ...process.env, TESSERA_PORT: '', TESSERA_HOST: '', TESSERA_CONFIG: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      rmSync(folder, { recursive: true, force: true });
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const port = await readPort(child, logs, exited);
  let stopping: Promise<number | string> | null = null;
  const stop = (): Promise<number | string> => {
    stopping ??= stopChild(child, exited);
    return stopping;
  };
  return { child, port, httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/v1/ws`, logs, exited, stop };
}

function keep(logs: string[], line: string): void {
  logs.push(line);
  if (logs.length > logLinesKept) logs.shift();
}

function readPort(child: ChildProcess, logs: string[], exited: Promise<number | string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${startTimeoutMs} ms:\n${logs.join('\n')}`));
    }, startTimeoutMs);
    const stdout = child.stdout;
    const stderr = child.stderr;
    if (stdout === null || stderr === null) throw new Error('test-server: child has no stdout/stderr');
    createInterface({ input: stderr }).on('line', (line) => keep(logs, line));
    createInterface({ input: stdout }).on('line', (line) => {
      keep(logs, line);
      const parsed = parseLine(line);
      if (parsed?.msg === 'tessera listening' && typeof parsed.port === 'number') {
        clearTimeout(timer);
        resolve(parsed.port);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${logs.join('\n')}`));
    });
  });
}

function parseLine(line: string): { msg?: unknown; port?: unknown } | null {
  try {
    return JSON.parse(line) as { msg?: unknown; port?: unknown };
  } catch {
    return null;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | string>): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
