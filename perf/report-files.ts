// Where reports go: perf/results/ under the project root unless --json / --html say otherwise.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The directory holding Tessera's package.json, found upward from this file (dist/perf or .build/…). */
export function projectRoot(start: string = __dirname): string {
  let directory = start;
  // At most a few levels separate a build output from the root; stop at the filesystem root.
  for (let level = 0; level < 8; level++) {
    const manifest = path.join(directory, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === 'tessera') return directory;
    }
    const parent = path.dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return process.cwd();
}

export function defaultReportPath(extension: 'json' | 'html', startedAt: Date, prefix = 'bench'): string {
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return path.join(projectRoot(), 'perf', 'results', `${prefix}-${stamp}.${extension}`);
}

export function writeReportFile(filePath: string, content: string): void {
  mkdirSync(path.dirname(path.resolve(filePath)), { recursive: true });
  writeFileSync(filePath, content);
}
