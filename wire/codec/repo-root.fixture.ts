// Test support: tests run from dist/ or from a private build folder (.build/...), so files of the
// source tree are found by walking up to the folder that holds schemas/tessera.fbs.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function repoRoot(from: string = __dirname): string {
  let folder = from;
  for (let depth = 0; depth < 16; depth++) {
    if (existsSync(join(folder, 'schemas', 'tessera.fbs')) && existsSync(join(folder, 'package.json'))) return folder;
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  throw new Error(`no repository root (with schemas/tessera.fbs) above ${from}`);
}
