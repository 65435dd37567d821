// CPU time of a process from /proc/PID/stat: user + system, all threads, in microseconds.
// It is read before and after a measured phase; the difference divided by the ops served is the
// server's CPU per op, the figure that compares servers fairly when the generator shares the cores.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicksPerSecond: number | undefined;

/** USER_HZ, the unit of /proc/PID/stat times (100 on every common Linux, asked once to be sure). */
function ticksPerSecond(): number {
  if (clockTicksPerSecond !== undefined) return clockTicksPerSecond;
  let ticks = 100;
  try {
    const answer = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(answer) && answer > 0) ticks = answer;
  } catch {
    // getconf missing: keep Linux's fixed USER_HZ.
  }
  clockTicksPerSecond = ticks;
  return ticks;
}

/** Parses utime + stime (fields 14 and 15) out of a /proc/PID/stat line, in clock ticks. */
export function parseProcStatCpuTicks(stat: string): number {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // afterName[0] is field 3 (state), so field N is afterName[N - 3].
  const userTicks = Number(afterName[11]);
  const systemTicks = Number(afterName[12]);
  if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) throw new Error(`unexpected /proc stat line: ${stat.slice(0, 120)}`);
  return userTicks + systemTicks;
}

export function readProcessCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return (parseProcStatCpuTicks(stat) * 1e6) / ticksPerSecond();
}

/** This process (the generator: main thread and every worker thread). */
export function generatorCpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}
