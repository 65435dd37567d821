// Starts the Tessera server from the built output (dist/bin/tessera.js, found relative to this
// file) on 127.0.0.1 and a free port, waits for GET /status to answer, and stops it by PID.
// --tessera-bin points it at another script taking the same command line (another build, a stub).

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as http from 'node:http';
import * as path from 'node:path';
import type { FsyncPolicy } from './cli-options';
import { OutputTail, spawnTracked, stopTracked } from './child-processes';
import { freePort } from './free-port';
import { serverHost, waitUntilReady, type RunningServer } from './running-server';

/** dist/perf/tessera-server.js → dist/bin/tessera.js */
export const tesseraServerScript = path.join(__dirname, '..', 'bin', 'tessera.js');

export function httpStatusOk(port: number, urlPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: serverHost, port, path: urlPath, timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** The serve flags for a persistence policy: off = a pure memory node; otherwise a fresh data dir. */
function persistenceArgs(fsync: FsyncPolicy, dataDir: string | null): string[] {
  return fsync === 'off' || dataDir === null ? ['--no-persistence'] : ['--data-dir', dataDir, '--fsync', fsync];
}

/** ioThreads: serve --io-threads N; null leaves the server's default. */
export async function startTessera(script: string = tesseraServerScript, fsync: FsyncPolicy = 'off', ioThreads: number | null = null): Promise<RunningServer> {
  if (!existsSync(script)) throw new Error(`the Tessera server is not built: ${script} does not exist`);
  const port = await freePort();
  const dataDir = fsync === 'off' ? null : mkdtempSync(path.join(tmpdir(), 'tessera-perf-data-'));
  const args = [script, 'serve', '--port', String(port), '--host', serverHost, ...persistenceArgs(fsync, dataDir), ...(ioThreads === null ? [] : ['--io-threads', String(ioThreads)])];
  const child = spawnTracked(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = new OutputTail();
  child.stdout?.on('data', (chunk: Buffer) => tail.append(chunk));
  child.stderr?.on('data', (chunk: Buffer) => tail.append(chunk));
  const pid = child.pid;
  const stop = async (): Promise<void> => {
    await stopTracked(child);
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (pid === undefined) throw new Error('the Tessera server did not start');
    await waitUntilReady('tessera', () => httpStatusOk(port, '/status'), () => (child.exitCode === null && child.signalCode === null ? null : tail.toString()));
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { name: 'tessera', host: serverHost, port, pid, stop };
}
