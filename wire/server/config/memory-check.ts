// Namespace memory limits against the memory the process can really have: the machine's, or the
// container's cgroup limit when that is lower (a container sees the host's memory in
// os.totalmem(), and is OOM-killed at its cgroup limit, long before a `store` namespace would
// refuse a write with OutOfMemory).
//   - a limit given above the memory available is refused (it can never be reached);
//   - a namespace without a limit gets min(1 GiB, its share of half the memory available), so the
//     embedded default fits a small container;
//   - limits that add up to more than the memory available are a warning (they are caps, not
//     reservations, and an operator may overcommit on purpose).

import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { namespaceDefaults, type EngineConfigInput } from '../../../engine/front/config';
import { ServerError } from '../server-errors';
import { formatByteSize } from './byte-size';

export interface MemoryAvailable {
  bytes: number;
  /** Where the figure comes from, for messages. */
  source: string;
}

const cgroupFiles = [
  // cgroup v2; "max" = no limit.
  '/sys/fs/cgroup/memory.max',
  // cgroup v1; an unlimited group shows a huge number, which the min() below ignores.
  '/sys/fs/cgroup/memory/memory.limit_in_bytes',
];

/** The machine's memory, or the cgroup's limit when there is one and it is lower. */
export function memoryAvailable(read: (file: string) => string = (file) => readFileSync(file, 'utf8')): MemoryAvailable {
  const machine: MemoryAvailable = { bytes: totalmem(), source: "the machine's memory" };
  for (const file of cgroupFiles) {
    let text: string;
    try {
      text = read(file).trim();
    } catch {
      continue;
    }
    if (!/^\d+$/.test(text)) continue;
    const bytes = Number(text);
    if (bytes < machine.bytes) return { bytes, source: `the cgroup limit (${file})` };
  }
  return machine;
}

const mebibyte = 1024 * 1024;

/**
 * Checks (and for unset limits, sets) the namespaces' memory limits against `available`. Throws
 * ConfigInvalid for an impossible limit; returns warnings to log once at start.
 */
export function checkMemory(engine: EngineConfigInput, available: MemoryAvailable): string[] {
  const namespaces = engine.namespaces ?? [{ name: 'content' }];
  const warnings: string[] = [];
  const problems: string[] = [];
  let givenBytes = 0;
  let unset = 0;
  for (const [index, namespace] of namespaces.entries()) {
    const limit = namespace.memoryLimitBytes;
    if (limit === undefined) {
      unset++;
      continue;
    }
    givenBytes += limit;
    if (limit > available.bytes) {
      problems.push(`engine.namespaces[${index}].memoryLimitBytes (${namespace.name}): ${formatByteSize(limit)} is more than the ${formatByteSize(available.bytes)} of memory available (${available.source})`);
    }
  }
  if (problems.length > 0) throw new ServerError('ConfigInvalid', `invalid config: ${problems.join('; ')}`, { problems });
  if (unset > 0) {
    const standard = namespaceDefaults('default').memoryLimitBytes;
    const share = Math.floor(Math.max(0, available.bytes / 2 - givenBytes) / unset / mebibyte) * mebibyte;
    const derived = Math.max(mebibyte, Math.min(standard, share));
    if (derived < standard) {
      engine.namespaces = namespaces.map((namespace) => (namespace.memoryLimitBytes === undefined ? { ...namespace, memoryLimitBytes: derived } : namespace));
      const names = namespaces.filter((namespace) => namespace.memoryLimitBytes === undefined).map((namespace) => namespace.name);
      warnings.push(`namespace ${names.join(', ')}: no memoryLimitBytes given, so ${formatByteSize(derived)} (half of the ${formatByteSize(available.bytes)} available, ${available.source}) instead of ${formatByteSize(standard)}`);
    }
  }
  const totalBytes = (engine.namespaces ?? namespaces).reduce((sum, namespace) => sum + (namespace.memoryLimitBytes ?? namespaceDefaults('default').memoryLimitBytes), 0);
  if (totalBytes > available.bytes) {
    warnings.push(`the namespaces' memoryLimitBytes add up to ${formatByteSize(totalBytes)}, more than the ${formatByteSize(available.bytes)} available (${available.source}): the process may be killed for memory before a store namespace refuses a write`);
  }
  return warnings;
}
