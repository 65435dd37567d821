// The hand-written response frames (response-writer.ts) at their edges: ids at both ends of the
// range, empty and non-ASCII content types, an empty value, a value that grows the buffer, and a
// frame after a larger one (nothing of the earlier frame may show through).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ResultView } from '../../engine/front/result-sink';
import { resultFlagCreated, resultFlagHasValue } from '../../engine/layout/batch-layout';
import { Status } from '../../engine/layout/status';
import { decodeServerFrame } from './decode-server-frame';
import { releaseLargeResponseBuffer, writeResultsFrame, writeSingleResultFrame } from './response-writer';
import { serverFrameLayout } from './schema-layout';
import { verifyFrame } from './verify-frame';

function viewOf(fields: { status?: Status; generation?: number; expiry?: number; lastModified?: number; contentType?: string; value?: Uint8Array | null; created?: boolean }): ResultView {
  const value = fields.value ?? null;
  return {
    status: fields.status ?? Status.Ok,
    flags: (value === null ? 0 : resultFlagHasValue) | (fields.created === true ? resultFlagCreated : 0),
    generation: fields.generation ?? 1,
    expiry: fields.expiry ?? 0,
    lastModified: fields.lastModified ?? 0,
    hasValue: value !== null,
    contentType: () => fields.contentType ?? '',
    value: () => (value === null ? null : value.slice()),
    valueView: () => value ?? new Uint8Array(0),
  };
}

function decoded(frame: Uint8Array): ReturnType<typeof decodeServerFrame> {
  // A copy: the frame is a view into the writer's reused buffer.
  const copy = frame.slice();
  assert.deepEqual(verifyFrame(copy, serverFrameLayout), { ok: true });
  return decodeServerFrame(copy);
}

function resultsOf(frame: Uint8Array): { id: number | null; results: unknown[] } {
  const message = decoded(frame);
  assert.equal(message.type, 'response');
  if (message.type !== 'response') throw new Error('unreachable');
  assert.equal(message.status, Status.Ok);
  return { id: message.id, results: message.results.map((result) => ({ ...result, value: result.value === null ? null : Buffer.from(result.value).toString('latin1') })) };
}

test('ids at both ends of the range, and every field of a result, read back', () => {
  for (const id of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
    const frame = writeSingleResultFrame(id, viewOf({ generation: 2 ** 32 - 1, expiry: 1_900_000_000, lastModified: 1_767_225_600_123.5, contentType: 'text/html', value: Buffer.from('<p>x</p>'), created: true }));
    const { id: readId, results } = resultsOf(frame);
    assert.equal(readId, id);
    assert.deepEqual(results[0], {
      status: Status.Ok,
      generation: 2 ** 32 - 1,
      expiry: 1_900_000_000,
      lastModified: 1_767_225_600_123.5,
      contentType: 'text/html',
      value: '<p>x</p>',
      created: true,
      records: [],
      cursor: null,
      message: null,
      deleted: 0,
    });
  }
});

test('content types: none, non-ASCII, and a stored Cache-Control after an LF (not sent)', () => {
  const none = resultsOf(writeSingleResultFrame(1, viewOf({ value: Buffer.from('a') }))).results[0] as { contentType: string; value: string };
  assert.equal(none.contentType, '');
  assert.equal(none.value, 'a');
  const unicode = resultsOf(writeSingleResultFrame(2, viewOf({ contentType: 'text/plain; title="Zürich ☃"' }))).results[0] as { contentType: string; value: string | null };
  assert.equal(unicode.contentType, 'text/plain; title="Zürich ☃"');
  assert.equal(unicode.value, null);
  const withCacheControl = resultsOf(writeSingleResultFrame(3, viewOf({ contentType: 'text/css\nmax-age=60', value: Buffer.from('b{}') }))).results[0] as { contentType: string };
  assert.equal(withCacheControl.contentType, 'text/css');
});

test('an empty value is present and empty; a failure and a dead shard carry only their status', () => {
  const empty = resultsOf(writeSingleResultFrame(4, viewOf({ value: new Uint8Array(0) }))).results[0] as { value: string | null };
  assert.equal(empty.value, '');
  const missing = resultsOf(writeSingleResultFrame(5, viewOf({ status: Status.NotFound, generation: 0 }))).results[0] as { status: Status; value: string | null; generation: number };
  assert.deepEqual([missing.status, missing.value, missing.generation], [Status.NotFound, null, 0]);
  const dead = resultsOf(writeSingleResultFrame(6, null)).results[0] as { status: Status; value: string | null; generation: number; lastModified: number };
  assert.deepEqual([dead.status, dead.value, dead.generation, dead.lastModified], [Status.ShardUnavailable, null, 0, 0]);
});

test('a value larger than the buffer grows it; the next, smaller frame shows nothing of it', () => {
  const big = new Uint8Array(3 * 1024 * 1024).fill(0x61);
  const first = resultsOf(writeSingleResultFrame(7, viewOf({ contentType: 'application/octet-stream', value: big }))).results[0] as { value: string };
  assert.equal(first.value.length, big.byteLength);
  releaseLargeResponseBuffer();
  const next = writeSingleResultFrame(8, viewOf({ generation: 3 }));
  assert.ok(next.byteLength < 256, `a put's answer is small (${next.byteLength} bytes)`);
  const second = resultsOf(next).results[0] as { value: string | null; contentType: string };
  assert.deepEqual([second.value, second.contentType], [null, '']);
});

test('several results, mixed, each read back in its slot', () => {
  const views = [viewOf({ contentType: 'text/plain', value: Buffer.from('one') }), null, viewOf({ status: Status.GenerationMismatch, generation: 0 }), viewOf({ value: Buffer.from('four'), created: true })];
  const frame = writeResultsFrame(99, { count: views.length, at: (index) => views[index] ?? null });
  const { id, results } = resultsOf(frame);
  assert.equal(id, 99);
  const summary = (results as { status: Status; value: string | null; contentType: string; created: boolean }[]).map((result) => [result.status, result.value, result.contentType, result.created]);
  assert.deepEqual(summary, [
    [Status.Ok, 'one', 'text/plain', false],
    [Status.ShardUnavailable, null, '', false],
    [Status.GenerationMismatch, null, '', false],
    [Status.Ok, 'four', '', true],
  ]);
});
