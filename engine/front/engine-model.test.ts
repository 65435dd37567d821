// The randomized test: long op sequences (puts in every mode, CAS, deletes, touches, TTLs with a
// controllable clock, invalid input) run through the shard engine and through the Map-based model;
// every result must agree, and full scans must return exactly the model's live keys once each.
// Replay a failure with TESSERA_TEST_SEED=<seed>.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Engine } from './engine';
import { ModelEngine } from './model-engine';
import { Status } from '../layout/status';
import { seededRandom, testSeed, text } from './engine.fixture';
import type { EngineConfigInput } from './config';
import type { Op, OpResult } from '../layout/types';

const seed = testSeed();
console.log(`engine-model seed: ${seed} (replay with TESSERA_TEST_SEED=${seed})`);
const random = seededRandom(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const config: EngineConfigInput = {
  shards: 3,
  sweepIntervalMs: 0,
  namespaces: [
    { name: 'content', maxKeyBytes: 64, maxValueBytes: 4096 },
    { name: 'other', defaultTtlSec: 30 },
  ],
};
let clockMs = Date.UTC(2026, 10, 21, 12, 0, 0);
let engine: Engine;
let model: ModelEngine;

before(async () => {
  engine = await Engine.open(config);
  engine.testing.setClockMs(clockMs);
  model = new ModelEngine(config, { nowMs: () => clockMs });
});
after(async () => {
  await engine.close();
});

const keys = Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? `articles/2026/${i}` : i % 3 === 1 ? `pages/${i}` : `k${i}`));

function randomOp(): Op {
  const ns = random() < 0.85 ? 'content' : pick(['other', 'missing']);
  const roll = random();
  let key: string | Uint8Array = pick(keys);
  if (random() < 0.02) key = '';
  if (random() < 0.02) key = 'x'.repeat(65);
  if (roll < 0.3) return { op: 'get', ns, key };
  if (roll < 0.35) return { op: 'head', ns, key };
  if (roll < 0.7) {
    const size = random() < 0.02 ? 5000 : Math.floor(random() * 600);
    const op: Op = { op: 'put', ns, key, value: new Uint8Array(size).fill(Math.floor(random() * 256)) };
    if (random() < 0.2) op.mode = pick(['upsert', 'create', 'update'] as const);
    if (random() < 0.25) op.ifGeneration = 1 + Math.floor(random() * 4);
    if (random() < 0.3) op.ttl = pick([0, 1, 5, 60]);
    if (random() < 0.3) op.contentType = pick(['text/html', 'application/json', 'image/png']);
    if (random() < 0.01) op.ttl = -5;
    return op;
  }
  if (roll < 0.85) return random() < 0.3 ? { op: 'delete', ns, key, ifGeneration: 1 + Math.floor(random() * 3) } : { op: 'delete', ns, key };
  return { op: 'touch', ns, key, ttl: pick([0, 2, 30]) };
}

/**
 * The shards stamp lastModified with a microsecond fraction that keeps it strictly increasing per
 * shard (shard/modification-stamps.ts); the model has no shards and uses the clock as it is. The
 * whole milliseconds agree.
 */
function comparable(result: OpResult): object {
  return { ...result, value: text(result.value), lastModified: Math.floor(result.lastModified) };
}

test('random op sequences agree with the model, results and scans', async () => {
  const rounds = 150;
  let statuses = new Set<number>();
  for (let round = 0; round < rounds; round++) {
    const ops = Array.from({ length: 1 + Math.floor(random() * 40) }, randomOp);
    const [actual, expected] = await Promise.all([engine.batch(ops), model.batch(ops)]);
    for (let i = 0; i < ops.length; i++) {
      assert.deepEqual(comparable(actual[i]!), comparable(expected[i]!), `round ${round} op ${i}: ${JSON.stringify({ ...ops[i], value: undefined })}`);
      statuses.add(actual[i]!.status);
    }
    if (random() < 0.3) {
      clockMs += Math.floor(random() * 4000);
      engine.testing.setClockMs(clockMs);
    }
    if (round % 25 === 24) await compareScans(round);
  }
  for (const status of [Status.Ok, Status.NotFound, Status.GenerationMismatch, Status.AlreadyExists, Status.InvalidKey, Status.KeyTooLarge, Status.ValueTooLarge, Status.UnknownNamespace, Status.InvalidArgument]) {
    assert.ok(statuses.has(status), `the sequence exercised ${Status[status]}`);
  }
  statuses = new Set();
});

async function compareScans(round: number): Promise<void> {
  for (const prefix of ['', 'articles/', 'pages/1']) {
    const expected = new Map<string, string | null>();
    let modelCursor: string | undefined;
    do {
      const page = await model.scan('content', { prefix, limit: 1000, cursor: modelCursor });
      for (const record of page.records) expected.set(Buffer.from(record.key).toString(), text(record.value));
      modelCursor = page.cursor ?? undefined;
    } while (modelCursor !== undefined);
    const actual = new Map<string, string | null>();
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await engine.scan('content', { prefix, limit: 1 + Math.floor(random() * 20), cursor });
      for (const record of page.records) {
        const key = Buffer.from(record.key).toString();
        assert.ok(!actual.has(key), `round ${round}: scan returned ${key} twice`);
        actual.set(key, text(record.value));
      }
      cursor = page.cursor ?? undefined;
      if (cursor === undefined) break;
    }
    assert.equal(cursor, undefined, 'scan finished');
    assert.deepEqual(new Map([...actual].sort()), new Map([...expected].sort()), `round ${round}: scan of "${prefix}"`);
  }
}

test('the change log holds every mutation in order, and per key generations only grow', async () => {
  const changes = engine.changes.readFrom(0);
  assert.ok(Array.isArray(changes), 'the window held the whole test');
  let lsn = 0;
  const lastGeneration = new Map<string, number>();
  for (const change of changes) {
    assert.equal(change.lsn, ++lsn);
    const id = `${change.ns}/${Buffer.from(change.key).toString()}`;
    if (change.kind === 'put') {
      const previous = lastGeneration.get(id);
      assert.ok(change.generation === 1 || (previous !== undefined && change.generation === previous + 1), `${id} generation ${change.generation} after ${previous}`);
      lastGeneration.set(id, change.generation);
    } else if (change.kind !== 'touch') {
      lastGeneration.delete(id);
    }
  }
  assert.ok(lsn > 100, `${lsn} changes logged`);
});

test('the sweep removes expired records and logs them as expired', async () => {
  await engine.put('content', 'sweep-me', 'soon gone', { ttl: 1 });
  clockMs += 5_000;
  engine.testing.setClockMs(clockMs);
  const before = engine.changes.lastLsn;
  const removed = await engine.sweepAll();
  assert.ok(removed >= 1, `sweep removed ${removed}`);
  const changes = engine.changes.readFrom(before);
  assert.ok(Array.isArray(changes));
  assert.ok(changes.some((change) => change.kind === 'expired' && Buffer.from(change.key).toString() === 'sweep-me'));
  assert.equal((await engine.get('content', 'sweep-me')).status, Status.NotFound);
});
