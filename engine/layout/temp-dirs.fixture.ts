// Test-only: fresh temporary directories for one test file, every one removed after that file's
// tests (node:test `after`). The WAL, snapshot and data-dir tests each wrote this helper themselves.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';

/** Returns a maker of new directories named `<prefix>XXXXXX` in the OS temp dir. Call it at module top level. */
export function tempDirMaker(prefix: string): () => string {
  const made: string[] = [];
  after(() => {
    for (const directory of made) fs.rmSync(directory, { recursive: true, force: true });
  });
  return () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    made.push(directory);
    return directory;
  };
}
