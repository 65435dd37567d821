// Runs an external load generator (redis-benchmark, wrk) and measures its CPU time. A child's
// rusage is not visible to Node, so the command runs under a shell that prints `times` once the
// command has exited: its second line is the CPU of the shell's waited-for children.

import { OutputTail, spawnTracked, waitForExit } from './child-processes';

export interface MeasuredCommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
  childCpuUs: number;
}

const outputBytesMax = 4 * 1024 * 1024;
const wrapper = '"$@"; status=$?; times >&2; exit $status';

/** Parses the children line of the shell's `times` (e.g. "0m1.250000s 0m0.310000s"), in µs. */
export function parseTimesChildrenUs(stderr: string): number {
  const lines = stderr.trimEnd().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const matches = [...last.matchAll(/(\d+)m([\d.]+)s/g)];
  if (matches.length !== 2) return 0;
  let totalUs = 0;
  for (const match of matches) totalUs += (Number(match[1]) * 60 + Number(match[2])) * 1e6;
  return Math.round(totalUs);
}

export async function runMeasuredCommand(command: string, args: readonly string[], timeoutMs: number): Promise<MeasuredCommandResult> {
  const child = spawnTracked('sh', ['-c', wrapper, 'sh', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }, true);
  const stdout = new OutputTail(outputBytesMax);
  const stderr = new OutputTail(outputBytesMax);
  child.stdout?.on('data', (chunk: Buffer) => stdout.append(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.append(chunk));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  if (!(await waitForExit(child, timeoutMs))) {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    throw new Error(`${command} did not finish within ${timeoutMs} ms`);
  }
  await closed;
  const stderrText = stderr.toString();
  return { status: child.exitCode, stdout: stdout.toString(), stderr: stderrText, childCpuUs: parseTimesChildrenUs(stderrText) };
}
