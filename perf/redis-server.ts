// Starts Debian's redis-server as the peer: 127.0.0.1 only, a free port, in a temporary directory,
// stopped by PID. Persistence: none (--save '' --appendonly no) unless an fsync policy is given,
// then the append-only file with the same appendfsync (RDB saves stay off on both sides' terms:
// Tessera's snapshots are its own schedule).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OutputTail, spawnTracked, stopTracked } from './child-processes';
import { ensureCommand } from './ensure-tool';
import { freePort } from './free-port';
import type { FsyncPolicy } from './cli-options';
import { createRedisClient } from './target-redis';
import { serverHost, waitUntilReady, type RunningServer } from './running-server';

function appendOnlyArgs(fsync: FsyncPolicy): string[] {
  return fsync === 'off' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', fsync];
}

async function pingOnce(port: number): Promise<boolean> {
  const client = createRedisClient(serverHost, port);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function startRedis(log: (line: string) => void, fsync: FsyncPolicy = 'off', extraArgs: readonly string[] = []): Promise<RunningServer> {
  const binary = ensureCommand('redis-server', 'redis-server', log);
  const port = await freePort();
  const directory = mkdtempSync(path.join(tmpdir(), 'tessera-perf-redis-'));
  const args = ['--port', String(port), '--bind', serverHost, '--save', '', ...appendOnlyArgs(fsync), '--protected-mode', 'yes', '--daemonize', 'no', '--dir', directory, '--logfile', '', ...extraArgs];
  const child = spawnTracked(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = new OutputTail();
  child.stdout?.on('data', (chunk: Buffer) => tail.append(chunk));
  child.stderr?.on('data', (chunk: Buffer) => tail.append(chunk));
  const pid = child.pid;
  const stop = async (): Promise<void> => {
    await stopTracked(child);
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    if (pid === undefined) throw new Error('redis-server did not start');
    await waitUntilReady('redis-server', () => pingOnce(port), () => (child.exitCode === null && child.signalCode === null ? null : tail.toString()));
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { name: 'redis', host: serverHost, port, pid, stop };
}
