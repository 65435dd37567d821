// Every process the harness starts (servers, C load generators) is tracked here by PID and stopped
// by PID: on normal completion by its owner, and on any exit path (error, Ctrl-C, uncaught
// exception) by the handlers below. Nothing is ever stopped by name.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** PIDs to kill on exit; a negative PID names a process group (a shell and what it runs). */
const livePids = new Set<number>();
let handlersInstalled = false;

function killAllSync(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  livePids.clear();
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllSync();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * Spawns and tracks a child. With `group`, the child leads a new process group and is killed as a
 * group, so a shell wrapper cannot leave what it started running.
 */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions, group = false): ChildProcess {
  installHandlers();
  const child = spawn(command, args, { ...options, detached: group });
  const pid = child.pid;
  if (pid !== undefined) {
    const tracked = group ? -pid : pid;
    livePids.add(tracked);
    child.once('exit', () => livePids.delete(tracked));
  }
  return child;
}

/** Resolves when the child has exited, or after timeoutMs (false). */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM by PID, then SIGKILL if it has not exited within graceMs. */
export async function stopTracked(child: ChildProcess, graceMs = 5_000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  process.kill(pid, 'SIGTERM');
  if (await waitForExit(child, graceMs)) return;
  process.kill(pid, 'SIGKILL');
  await waitForExit(child, graceMs);
}

/** Keeps the last `bytesMax` bytes a stream wrote, for error messages. */
export class OutputTail {
  readonly #bytesMax: number;
  #text = '';

  constructor(bytesMax = 4096) {
    this.#bytesMax = bytesMax;
  }

  append(chunk: Buffer | string): void {
    this.#text += chunk.toString();
    if (this.#text.length > this.#bytesMax) this.#text = this.#text.slice(-this.#bytesMax);
  }

  toString(): string {
    return this.#text;
  }
}
