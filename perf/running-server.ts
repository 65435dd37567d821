// A server process the harness started: where it listens, its PID (for CPU accounting) and how to
// stop it.

export interface RunningServer {
  name: string;
  host: string;
  port: number;
  pid: number;
  /** Stops it by PID; safe to call twice. */
  stop(): Promise<void>;
}

export const serverHost = '127.0.0.1';

/** Polls `ready` every intervalMs until it resolves true, the process dies, or attempts run out. */
export async function waitUntilReady(name: string, ready: () => Promise<boolean>, isDead: () => string | null, attemptsMax = 150, intervalMs = 100): Promise<void> {
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    const death = isDead();
    if (death !== null) throw new Error(`${name} exited before it was ready: ${death}`);
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`${name} was not ready after ${(attemptsMax * intervalMs) / 1000} s`);
}
