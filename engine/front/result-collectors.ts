// The sinks the in-process API uses to turn shard results into objects: one per batch() call or
// scan page (the op index or shard as token, no closure per op).

import { applyRecordsResultOutOfMemoryByte, resultFlagCreated, sweepResultRecordsRemovedByte } from '../layout/batch-layout';
import { Status } from '../layout/status';
import { cacheControlOf, mediaTypeOf } from '../layout/stored-content-type';
import type { OpResult } from '../layout/types';
import type { ResultSink, ResultView } from './result-sink';
import { parseScanSlice, type ScanSlice } from './scan-merge';

export function statusResult(status: Status): OpResult {
  return { status, generation: 0, expiry: 0, lastModified: 0, contentType: '', value: null, created: false };
}

export function readOpResult(reader: ResultView | null): OpResult {
  if (reader === null) return statusResult(Status.ShardUnavailable);
  const stored = reader.contentType();
  const result: OpResult = {
    status: reader.status,
    generation: reader.generation,
    expiry: reader.expiry,
    lastModified: reader.lastModified,
    contentType: mediaTypeOf(stored),
    value: reader.value(),
    created: (reader.flags & resultFlagCreated) !== 0,
  };
  // Only records whose writer gave a Cache-Control carry the field (stored-content-type.ts).
  const cacheControl = cacheControlOf(stored);
  if (cacheControl !== '') result.cacheControl = cacheControl;
  return result;
}

/** Collects the results of one batch() call. */
export class BatchCollector implements ResultSink {
  readonly results: OpResult[];
  #pending: number;
  readonly #resolve: (results: OpResult[]) => void;

  constructor(count: number, resolve: (results: OpResult[]) => void) {
    this.results = new Array<OpResult>(count);
    this.#pending = count;
    this.#resolve = resolve;
  }

  settle(index: number, result: OpResult): void {
    this.results[index] = result;
    if (--this.#pending === 0) this.#resolve(this.results);
  }

  onResult(token: number, reader: ResultView | null): void {
    this.settle(token, readOpResult(reader));
  }
}

/** Collects the scan slices of every shard for one page. */
export class ScanCollector implements ResultSink {
  readonly slices: (ScanSlice | null)[];
  #pending: number;
  readonly #resolve: (slices: (ScanSlice | null)[]) => void;

  constructor(count: number, resolve: (slices: (ScanSlice | null)[]) => void) {
    this.slices = new Array<ScanSlice | null>(count).fill(null);
    this.#pending = count;
    this.#resolve = resolve;
  }

  onResult(token: number, reader: ResultView | null): void {
    this.slices[token] = reader === null || reader.status !== Status.Ok ? null : parseScanSlice(reader.valueView());
    if (--this.#pending === 0) this.#resolve(this.slices);
  }
}

/** Records removed, from a sweep's own result payload (0 when the shard died before answering). */
export function sweepRecordsRemoved(reader: ResultView | null): number {
  if (reader === null || reader.status !== Status.Ok) return 0;
  return payloadWord(reader, sweepResultRecordsRemovedByte);
}

/** Records that did not fit (OutOfMemory), from an apply-records op's own result payload. */
export function applyRecordsOutOfMemory(reader: ResultView): number {
  return payloadWord(reader, applyRecordsResultOutOfMemoryByte);
}

/** A u32 at `byte` of a result's own payload (sweep, apply-records). */
function payloadWord(reader: ResultView, byte: number): number {
  const payload = reader.valueView();
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(byte, true);
}

/** A direct read's miss: the key is absent. */
export const notFound: ResultView = {
  status: Status.NotFound, flags: 0, generation: 0, expiry: 0, lastModified: 0, hasValue: false,
  contentType: () => '', value: () => null, valueView: () => new Uint8Array(0),
};

const statusViews = new Map<Status, ResultView>();

/** A result that is only a status (no record), one shared object per status. */
export function statusView(status: Status): ResultView {
  let view = statusViews.get(status);
  if (view === undefined) {
    view = { status, flags: 0, generation: 0, expiry: 0, lastModified: 0, hasValue: false, contentType: () => '', value: () => null, valueView: () => new Uint8Array(0) };
    statusViews.set(status, view);
  }
  return view;
}
