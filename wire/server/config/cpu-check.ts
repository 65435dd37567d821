// Shard threads against the CPUs the process may use: the machine's (os.availableParallelism()),
// or the container's cgroup quota (/sys/fs/cgroup/cpu.max, "QUOTA PERIOD") when lower. More shards
// than CPUs is allowed (a test, a benchmark), but each shard then shares a core with the front
// thread and the others, so it is a warning at start, not an error. The same holds for I/O threads
// (ioThreads, --io-threads) added to the shards.

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { assert } from '../../../engine/layout/assert';

export interface CpusAvailable {
  cpus: number;
  source: string;
}

export function cpusAvailable(read: (file: string) => string = (file) => readFileSync(file, 'utf8')): CpusAvailable {
  const machine: CpusAvailable = { cpus: availableParallelism(), source: "the machine's CPUs" };
  let text: string;
  try {
    text = read('/sys/fs/cgroup/cpu.max').trim();
  } catch {
    return machine;
  }
  const match = /^(\d+) (\d+)$/.exec(text);
  if (match === null) return machine;
  const cpus = Math.max(1, Math.floor(Number(match[1]) / Number(match[2])));
  return cpus < machine.cpus ? { cpus, source: 'the cgroup CPU quota (/sys/fs/cgroup/cpu.max)' } : machine;
}

/** A warning when the shard count given is above the CPUs available; null otherwise. */
export function checkShards(shards: number | undefined, available: CpusAvailable): string | null {
  if (shards === undefined || shards <= available.cpus) return null;
  return `engine.shards is ${shards}, more than the ${available.cpus} CPUs available (${available.source}): shard threads will share cores with each other and the front thread`;
}

/**
 * A warning when the I/O threads added past the first, with the shard threads, are more than the
 * CPUs available; null otherwise. `shards` is the count the engine will run (the default filled in).
 * One I/O thread is the front thread every node has: checkShards already covers that case, and
 * counting it here would warn on every default start in a one-CPU container.
 */
export function checkThreads(shards: number, ioThreads: number, available: CpusAvailable): string | null {
  // Both counts were validated (1..64) before this check: a bad one here is a bug, not input.
  assert(Number.isInteger(shards) && shards >= 1 && Number.isInteger(ioThreads) && ioThreads >= 1, 'checkThreads: shards and ioThreads are validated counts');
  if (ioThreads <= 1 || ioThreads + shards <= available.cpus) return null;
  return `${ioThreads} I/O threads and ${shards} shard thread${shards === 1 ? '' : 's'} on ${available.cpus} CPUs (${available.source}): threads will share cores`;
}
