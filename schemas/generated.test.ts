// The committed generated code must be exactly what schemas/generate.sh makes from the schema,
// and the schema's Status must be engine/layout/status.ts's Status, name for name, number for number.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Status as EngineStatus } from '../engine/layout/status';
import { Status as WireStatus } from './generated/tessera_generated';
import { repoRoot } from '../wire/codec/repo-root.fixture';

/** The numeric members of a TypeScript enum as name → number (the reverse entries dropped). */
function enumEntries(enumObject: Record<string, string | number>): Map<string, number> {
  const entries = new Map<string, number>();
  for (const [name, value] of Object.entries(enumObject)) {
    if (typeof value === 'number') entries.set(name, value);
  }
  return entries;
}

test('schemas/generated is what generate.sh makes from tessera.fbs', () => {
  const root = repoRoot();
  const outputDir = mkdtempSync(join(tmpdir(), 'tessera-schema-'));
  try {
    execFileSync(join(root, 'schemas', 'generate.sh'), [outputDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const committedDir = join(root, 'schemas', 'generated');
    const fresh = readdirSync(outputDir).sort();
    const committed = readdirSync(committedDir).sort();
    assert.deepEqual(committed, fresh, 'the same files');
    for (const name of fresh) {
      const same = readFileSync(join(outputDir, name)).equals(readFileSync(join(committedDir, name)));
      assert.ok(same, `schemas/generated/${name} is stale: run schemas/generate.sh and commit the result`);
    }
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
});

test('the wire Status enum equals engine/layout/status.ts Status', () => {
  const wire = enumEntries(WireStatus);
  const engine = enumEntries(EngineStatus);
  assert.ok(engine.size > 0);
  assert.deepEqual([...wire.entries()].sort(), [...engine.entries()].sort());
});
