// The version reported by /status and `tessera --version`, read from the package.json that ships
// with the build. The build may sit at dist/ or at any other out dir, so walk up to the first
// package.json named tessera rather than assume a depth.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const parentsMax = 8;

function readVersion(): string {
  let folder = __dirname;
  for (let step = 0; step < parentsMax; step++) {
    const file = path.join(folder, 'package.json');
    if (existsSync(file)) {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (parsed.name === 'tessera' && typeof parsed.version === 'string') return parsed.version;
    }
    const parent = path.dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  return '0.0.0-unknown';
}

export const tesseraVersion: string = readVersion();
