import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { readOpResult } from '../../engine/front/result-collectors';
import type { ResultView } from '../../engine/front/result-sink';
import { resultFlagCreated, resultFlagHasValue } from '../../engine/layout/batch-layout';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';
import { Status } from '../../engine/layout/status';
import type { OpResult } from '../../engine/layout/types';
import { decodeServerFrame } from '../codec/decode-server-frame';
import { encodeResponse, encodeResultViewsView } from '../codec/encode-response';
import { randomOpResult } from '../codec/ops.fixture';
import { ResultStore, valueBytesRetainedMax } from './result-store';

/** A ResultView over fixed fields, as a shard's ResultReader presents them; its value view is scratch. */
function viewOf(result: OpResult): ResultView {
  const value = result.value;
  const scratch = value === null ? new Uint8Array(0) : value.slice();
  return {
    status: result.status,
    flags: (value === null ? 0 : resultFlagHasValue) | (result.created ? resultFlagCreated : 0),
    generation: result.generation,
    expiry: result.expiry,
    lastModified: result.lastModified,
    hasValue: value !== null,
    contentType: () => result.contentType,
    value: () => (value === null ? null : value.slice()),
    valueView: () => scratch,
  };
}

test('results stored in any order encode to the frame encodeResponse writes for their OpResults', () => {
  const seed = testSeed();
  console.log(`seed ${seed} (TESSERA_SEED=${seed} repeats it)`);
  const random = new SeededRandom(seed);
  const store = new ResultStore();
  for (let trial = 0; trial < 200; trial++) {
    const count = 2 + random.below(20);
    const results: (OpResult | null)[] = [];
    for (let index = 0; index < count; index++) results.push(random.below(10) === 0 ? null : randomOpResult(random));
    store.reset(count);
    // Arrival order differs from op order (ops on several shards answer in any order).
    const order = [...results.keys()].sort(() => random.below(3) - 1);
    for (const index of order) {
      const result = results[index] ?? null;
      const view = result === null ? null : viewOf(result);
      store.store(index, view);
      // The shard's buffer is reused once onResult returns: the store must hold its own copy.
      if (view !== null) view.valueView().fill(0xee);
    }
    const expected = encodeResponse(trial, results.map((result) => readOpResult(result === null ? null : viewOf(result))));
    assert.deepEqual(decodeServerFrame(encodeResultViewsView(trial, store).slice()), decodeServerFrame(expected), `trial ${trial}`);
  }
});

test('a store reads back each op, null as ShardUnavailable, and drops a grown buffer at reset', () => {
  const store = new ResultStore();
  const big = new Uint8Array(valueBytesRetainedMax + 1).fill(7);
  const bigResult: OpResult = { status: Status.Ok, generation: 3, expiry: 0, lastModified: 5, contentType: 'text/plain', value: big, created: true };
  store.reset(2);
  store.store(1, viewOf(bigResult));
  store.store(0, null);
  assert.deepEqual(readOpResult(store.at(0)), readOpResult(null));
  assert.deepEqual(readOpResult(store.at(1)), bigResult);
  store.reset(1);
  const small: OpResult = { ...bigResult, value: new Uint8Array([1, 2, 3]), created: false };
  store.store(0, viewOf(small));
  assert.deepEqual(readOpResult(store.at(0)), small);
  assert.throws(() => store.at(1), /belongs to an op/);
});
