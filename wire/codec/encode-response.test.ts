import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Status } from '../../engine/layout/status';
import type { OpResult, ScanPage } from '../../engine/layout/types';
import { decodeServerFrame } from './decode-server-frame';
import { encodeRequestFailure, encodeRequestFailureView, encodeResponse, encodeResponseView, encodeSingleResultView } from './encode-response';
import { readOpResult } from '../../engine/front/result-collectors';
import type { ResultView } from '../../engine/front/result-sink';
import { resultFlagCreated, resultFlagHasValue } from '../../engine/layout/batch-layout';
import { randomOpResult, randomScanPage, randomStatusResult } from './ops.fixture';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';
import type { ResultInput, WireResult } from './wire-types';

/** What decodeServerFrame gives back for each kind of result. */
function expectedResult(input: ResultInput): WireResult {
  const empty: WireResult = {
    status: Status.Ok,
    generation: 0,
    expiry: 0,
    lastModified: 0,
    contentType: '',
    value: null,
    created: false,
    records: [],
    cursor: null,
    message: null,
    deleted: 0,
  };
  if ('records' in input) return { ...empty, records: input.records, cursor: input.cursor };
  if ('generation' in input) return { ...empty, ...input };
  if ('deleted' in input) return { ...empty, status: input.status, deleted: input.deleted };
  return { ...empty, status: input.status, message: input.message ?? null };
}

test('op results, scan pages and status results round-trip', () => {
  const getHit: OpResult = {
    status: Status.Ok,
    value: new TextEncoder().encode('<p>hello</p>'),
    created: false,
    generation: 7,
    expiry: 4_000_000_000,
    lastModified: 1_767_225_600_123,
    contentType: 'text/html',
  };
  const emptyValue: OpResult = { ...getHit, value: new Uint8Array(0), contentType: '' };
  const putCreated: OpResult = { ...getHit, value: null, created: true };
  const miss: OpResult = { status: Status.NotFound, value: null, created: false, generation: 0, expiry: 0, lastModified: 0, contentType: '' };
  const emptyPage: ScanPage = { records: [], cursor: null };
  const page: ScanPage = {
    records: [
      { key: Uint8Array.of(1, 2), value: Uint8Array.of(3), generation: 1, expiry: 0, lastModified: 5, contentType: 'a/b' },
      { key: Uint8Array.of(4), value: null, generation: 2, expiry: 9, lastModified: 6.5, contentType: '' },
    ],
    cursor: 'opaque-cursor',
  };
  const results: ResultInput[] = [getHit, emptyValue, putCreated, miss, emptyPage, page, { status: Status.InvalidCursor }, { status: Status.UnknownNamespace, message: 'no namespace "x"' }];
  for (const id of [0, 1, Number.MAX_SAFE_INTEGER]) {
    assert.deepEqual(decodeServerFrame(encodeResponse(id, results)), {
      type: 'response',
      id,
      status: Status.Ok,
      message: null,
      results: results.map(expectedResult),
    });
  }
  const decoded = decodeServerFrame(encodeResponse(1, [emptyValue]));
  assert.ok(decoded.type === 'response');
  assert.deepEqual(decoded.results[0]?.value, new Uint8Array(0), 'an empty value is not a missing value');
});

test('random results round-trip', () => {
  const seed = testSeed();
  console.log(`response round trip seed=${seed} (TESSERA_SEED=${seed} to replay)`);
  const random = new SeededRandom(seed);
  for (let round = 0; round < 300; round++) {
    const results: ResultInput[] = [];
    const count = random.below(10);
    for (let index = 0; index < count; index++) {
      const kind = random.below(3);
      results.push(kind === 0 ? randomOpResult(random) : kind === 1 ? randomScanPage(random) : randomStatusResult(random));
    }
    const id = random.below(2 ** 45);
    assert.deepEqual(decodeServerFrame(encodeResponse(id, results)), { type: 'response', id, status: Status.Ok, message: null, results: results.map(expectedResult) }, `round ${round}`);
  }
});

test('a request failure carries its status, message and id (or none)', () => {
  assert.deepEqual(decodeServerFrame(encodeRequestFailure(12, Status.TooManyOps, 'at most 1024 ops')), {
    type: 'response',
    id: 12,
    status: Status.TooManyOps,
    message: 'at most 1024 ops',
    results: [],
  });
  assert.deepEqual(decodeServerFrame(encodeRequestFailure(null, Status.MalformedRequest)), {
    type: 'response',
    id: null,
    status: Status.MalformedRequest,
    message: null,
    results: [],
  });
  assert.throws(() => encodeRequestFailure(1, Status.Ok), /invariant/);
});

/** A ResultView over fixed fields, as a shard's ResultReader or a DirectRead presents them. */
function viewOf(result: OpResult): ResultView {
  const value = result.value;
  return {
    status: result.status,
    flags: (value === null ? 0 : resultFlagHasValue) | (result.created ? resultFlagCreated : 0),
    generation: result.generation,
    expiry: result.expiry,
    lastModified: result.lastModified,
    hasValue: value !== null,
    contentType: () => result.contentType,
    value: () => (value === null ? null : value.slice()),
    valueView: () => value ?? new Uint8Array(0),
  };
}

test('a one-op response written from the result view decodes as encodeResponse of its OpResult', () => {
  const seed = testSeed();
  console.log(`seed ${seed} (TESSERA_SEED=${seed} repeats it)`);
  const random = new SeededRandom(seed);
  for (let trial = 0; trial < 300; trial++) {
    const result = randomOpResult(random);
    const id = random.below(2 ** 31) * 512 + random.below(512);
    const view = viewOf(result);
    const expected = encodeResponse(id, [readOpResult(view)]);
    // Written by hand (response-writer.ts), not by the Builder: the same frame read back, verified.
    assert.deepEqual(decodeServerFrame(encodeSingleResultView(id, view).slice()), decodeServerFrame(expected), `trial ${trial}`);
  }
  // A shard that died before answering: ShardUnavailable, as readOpResult(null) says.
  assert.deepEqual(decodeServerFrame(encodeSingleResultView(9, null).slice()), decodeServerFrame(encodeResponse(9, [readOpResult(null)])));
});

test('the view encoders write the same bytes as the copying ones', () => {
  const seed = testSeed();
  console.log(`seed ${seed} (TESSERA_SEED=${seed} repeats it)`);
  const random = new SeededRandom(seed);
  for (let trial = 0; trial < 100; trial++) {
    const results: ResultInput[] = [randomOpResult(random), randomStatusResult(random), randomScanPage(random)];
    assert.deepEqual(encodeResponseView(trial, results).slice(), encodeResponse(trial, results));
  }
  assert.deepEqual(encodeRequestFailureView(3, Status.Busy, 'later').slice(), encodeRequestFailure(3, Status.Busy, 'later'));
  assert.deepEqual(encodeRequestFailureView(null, Status.MalformedRequest).slice(), encodeRequestFailure(null, Status.MalformedRequest));
});
