// Finds a command on PATH, installing its Debian package with apt-get when it is missing.

import { execFileSync, spawnSync } from 'node:child_process';

export function commandPath(command: string): string | null {
  const found = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', command], { encoding: 'utf8' });
  const text = found.stdout.trim();
  return found.status === 0 && text !== '' ? text : null;
}

/** Returns the command's path; installs `debianPackage` first if needed (apt-get update once on failure). */
export function ensureCommand(command: string, debianPackage: string, log: (line: string) => void): string {
  const existing = commandPath(command);
  if (existing !== null) return existing;
  log(`${command} is missing: apt-get install -y ${debianPackage}`);
  const attempts: string[][] = [['install', '-y', debianPackage], ['update'], ['install', '-y', debianPackage]];
  for (const args of attempts) {
    try {
      execFileSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 300_000 });
      if (args[0] === 'install' && commandPath(command) !== null) break;
    } catch {
      // Try the next step (update, then install again).
    }
  }
  const installed = commandPath(command);
  if (installed === null) throw new Error(`${command} is not installed and apt-get could not install ${debianPackage}`);
  return installed;
}
