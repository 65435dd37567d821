// One call of the client, from the method that made it to the Promise its caller holds. The call
// is settled straight from the frame's results (settle() below maps a result to what the method
// returns: a GetResult, null, true...), so a call costs its Promise and this one object: no async
// wrapper around the Promise, no closure per call, no intermediate { results, offset } object.
//
//   client.get() ──► new ClientCall(op, CallShape.Get) ──► CallQueue ──► frame ──► response
//        ▲                                                                   │
//        └────────── call.promise settles: resolve(results, offset) ◄────────┘

import { Status, statusName } from '../../engine/layout/status';
import type { WireOp, WireResult } from '../codec/wire-types';
import { opFailureMessage, opLabel } from './argument-checks';
import type { PendingCall } from './call-queue';
import type { BatchResult, RecordMetadata } from './client-types';
import { TesseraError } from './tessera-error';

/** What a call's caller gets from its result(s). */
export const CallShape = {
  /** GetResult, or null for NotFound. */
  Get: 0,
  /** RecordMetadata, or null for NotFound. */
  Head: 1,
  /** { generation }. */
  Put: 2,
  /** true, or false for NotFound. */
  Delete: 3,
  /** { deleted }. */
  Purge: 4,
  /** RecordMetadata, or null for NotFound. */
  Touch: 5,
  /** ScanPage. */
  Scan: 6,
  /** One BatchResult per op; per-op failures are results. */
  Batch: 7,
  /** The WireResult itself, whatever its status (subscribe, unsubscribe). */
  Raw: 8,
} as const;
export type CallShape = (typeof CallShape)[keyof typeof CallShape];

type Settle = (value: unknown) => void;
type Fail = (error: TesseraError) => void;

// The Promise executor is this one function, not a closure per call: it hands the resolving
// functions over through these two slots, which the constructor empties at once.
let capturedResolve: Settle | null = null;
let capturedReject: Fail | null = null;
function capture(resolve: Settle, reject: Fail): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

export class ClientCall implements PendingCall {
  readonly seq: number;
  readonly ops: readonly WireOp[];
  readonly readOnly: boolean;
  readonly alone: boolean;
  readonly bytes: number;
  readonly heavyOps: number;
  readonly deadlineMs: number;
  readonly shape: CallShape;
  /** What the caller holds. */
  readonly promise: Promise<unknown>;
  readonly reject: Fail;
  readonly #resolve: Settle;

  constructor(seq: number, ops: readonly WireOp[], shape: CallShape, readOnly: boolean, alone: boolean, bytes: number, heavyOps: number, deadlineMs: number) {
    this.seq = seq;
    this.ops = ops;
    this.shape = shape;
    this.readOnly = readOnly;
    this.alone = alone;
    this.bytes = bytes;
    this.heavyOps = heavyOps;
    this.deadlineMs = deadlineMs;
    this.promise = new Promise(capture);
    // The executor runs synchronously inside the Promise constructor, so the slots are filled.
    this.#resolve = capturedResolve as Settle;
    this.reject = capturedReject as Fail;
    capturedResolve = null;
    capturedReject = null;
  }

  /** `results` holds every result of the frame; this call's start at `offset`. */
  resolve(results: readonly WireResult[], offset: number): void {
    const op = this.ops[0]!;
    const result = results[offset]!;
    const status = result.status;
    switch (this.shape) {
      case CallShape.Get:
        if (status === Status.NotFound) return this.#resolve(null);
        if (status !== Status.Ok) return this.reject(failure(op, result));
        if (result.value === null) return this.reject(TesseraError.client('ProtocolError', `${opLabel(op)}: answered Ok without a value`));
        return this.#resolve({ value: result.value, generation: result.generation, expiry: result.expiry, lastModified: result.lastModified, contentType: result.contentType });
      case CallShape.Head:
      case CallShape.Touch:
        if (status === Status.NotFound) return this.#resolve(null);
        return status === Status.Ok ? this.#resolve(metadataOf(result)) : this.reject(failure(op, result));
      case CallShape.Put:
        return status === Status.Ok ? this.#resolve({ generation: result.generation }) : this.reject(failure(op, result));
      case CallShape.Delete:
        if (status === Status.NotFound) return this.#resolve(false);
        return status === Status.Ok ? this.#resolve(true) : this.reject(failure(op, result));
      case CallShape.Purge:
        return status === Status.Ok ? this.#resolve({ deleted: result.deleted }) : this.reject(failure(op, result));
      case CallShape.Scan:
        // The page is the caller's to change (the codec's shared empty list is frozen).
        return status === Status.Ok ? this.#resolve({ records: Array.from(result.records), cursor: result.cursor }) : this.reject(failure(op, result));
      case CallShape.Batch: {
        const batchResults: BatchResult[] = [];
        for (let index = 0; index < this.ops.length; index++) batchResults.push(batchResultOf(results[offset + index]!));
        return this.#resolve(batchResults);
      }
      case CallShape.Raw:
        return this.#resolve(result);
    }
  }
}

function failure(op: WireOp, result: WireResult): TesseraError {
  return TesseraError.fromStatus(result.status, opFailureMessage(op, result.status, result.message));
}

function metadataOf(result: WireResult): RecordMetadata {
  return { generation: result.generation, expiry: result.expiry, lastModified: result.lastModified, contentType: result.contentType };
}

function batchResultOf(result: WireResult): BatchResult {
  return {
    status: statusName(result.status),
    code: result.status,
    message: result.message,
    value: result.value,
    created: result.created,
    records: result.records,
    cursor: result.cursor,
    generation: result.generation,
    expiry: result.expiry,
    lastModified: result.lastModified,
    contentType: result.contentType,
  };
}
