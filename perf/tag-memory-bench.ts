// Bytes per record with and without surrogate keys (issue 13's benchmark), engine-level.
//
//   1. The tag index's real heap cost: the shard's own TagIndex class, filled in this thread with
//      N records of 16-byte keys carrying 0, 1, 3 or 16 tags drawn from a shared vocabulary (tags
//      are repeated across records in practice: "home", "article-123"), measured as heapUsed
//      after a full GC, per record. This is what a shard thread's heap grows by.
//   2. The engine's accounting: Engine.open, N records of 100-byte values put with and without 3
//      tags, the namespace's bytes / records from engine.stats(): the table's bytes per record plus
//      the tag index's estimate (shard/tag-index.ts), which is what namespace limits count.
//
// node --expose-gc dist/perf/tag-memory-bench.js [--records N]

import { Engine } from '../engine/front/engine';
import { encodeTagRun } from '../engine/layout/surrogate-keys';
import { TagIndex, tagRecordBytes } from '../engine/shard/tag-index';

const keyBytes = 16;
const valueBytes = 100;
const vocabulary = 1000;

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function keyOf(index: number): Uint8Array {
  return Buffer.from(`k${String(index).padStart(keyBytes - 1, '0')}`);
}

function tagsOf(index: number, count: number): string[] {
  return Array.from({ length: count }, (_, slot) => `tag-${(index * 7 + slot * 131) % vocabulary}`);
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Heap bytes per record of a TagIndex holding `records` records with `tagCount` tags each. */
function tagIndexBytesPerRecord(records: number, tagCount: number): { measured: number; estimated: number } {
  const table = { f64: new Float64Array(1024) };
  const scratch = new Uint8Array(keyBytes + 16 * 65);
  const runs = { namespaceId: 1, keyStart: 0, keyLength: keyBytes, tagsLength: 0, tagsStart: keyBytes };
  // Tag runs built before the baseline: a batch buffer holds them in a shard, not the index.
  const tagRuns = Array.from({ length: records }, (_, index) => encodeTagRun(tagsOf(index, tagCount)));
  const before = heapAfterGc();
  const index = new TagIndex(table);
  for (let record = 0; record < records; record++) {
    scratch.set(keyOf(record), 0);
    const run = tagRuns[record] ?? null;
    runs.tagsLength = run === null ? 0 : run.length;
    if (run !== null) scratch.set(run, keyBytes);
    index.afterPut(scratch, runs);
  }
  const after = heapAfterGc();
  if (index.taggedRecords !== (tagCount === 0 ? 0 : records)) throw new Error('tag index size');
  return { measured: (after - before) / records, estimated: tagCount === 0 ? 0 : tagRecordBytes(keyBytes, tagsOf(0, tagCount)) };
}

async function engineBytesPerRecord(records: number, tagCount: number): Promise<number> {
  const engine = await Engine.open({ shards: 2, sweepIntervalMs: 0, namespaces: [{ name: 'bench', memoryLimitBytes: 4 * 1024 * 1024 * 1024 }] });
  try {
    const value = new Uint8Array(valueBytes).fill(7);
    for (let start = 0; start < records; start += 1000) {
      const ops = [];
      for (let index = start; index < Math.min(records, start + 1000); index++) {
        ops.push({ op: 'put' as const, ns: 'bench', key: keyOf(index), value, ...(tagCount === 0 ? {} : { tags: tagsOf(index, tagCount) }) });
      }
      const results = await engine.batch(ops);
      if (results.some((result) => result.status !== 0)) throw new Error('a put failed');
    }
    const namespace = engine.stats().namespaces[0]!;
    if (namespace.records !== records) throw new Error(`expected ${records} records, have ${namespace.records}`);
    return namespace.bytes / records;
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  const records = argument('records', 200_000);
  const rows = [];
  for (const tagCount of [0, 1, 3, 16]) {
    const index = tagIndexBytesPerRecord(records, tagCount);
    rows.push({ tags: tagCount, 'tag index heap bytes/record (measured)': Math.round(index.measured), 'estimate counted in namespace bytes': index.estimated });
  }
  console.log(`tag index, ${records} records, ${keyBytes}-byte keys, tags from a vocabulary of ${vocabulary}`);
  console.table(rows);
  const plain = await engineBytesPerRecord(records, 0);
  const tagged = await engineBytesPerRecord(records, 3);
  console.log(`engine namespace bytes/record, ${records} records, ${keyBytes}-byte keys, ${valueBytes}-byte values (key + value = ${keyBytes + valueBytes})`);
  console.table([
    { tags: 0, 'namespace bytes/record': Math.round(plain * 10) / 10 },
    { tags: 3, 'namespace bytes/record': Math.round(tagged * 10) / 10 },
  ]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
