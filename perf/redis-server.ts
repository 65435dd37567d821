// Starts Debian's redis-server as the peer: 127.0.0.1 only, a free port, no persistence
// (--save '' --appendonly no), in a temporary directory, stopped by PID.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OutputTail, spawnTracked, stopTracked } from './child-processes';
import { ensureCommand } from './ensure-tool';
import { freePort } from './free-port';
import { createRedisClient } from './target-redis';
import { serverHost, waitUntilReady, type RunningServer } from './running-server';

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

export async function startRedis(log: (line: string) => void): Promise<RunningServer> {
  const binary = ensureCommand('redis-server', 'redis-server', log);
  const port = await freePort();
  const directory = mkdtempSync(path.join(tmpdir(), 'tessera-perf-redis-'));
  const args = ['--port', String(port), '--bind', serverHost, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--daemonize', 'no', '--dir', directory, '--logfile', ''];
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
