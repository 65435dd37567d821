// The plain objects the codec turns frames into and builds frames from. Ops are the engine's
// `WireOp` (engine/layout/types.ts): its `Op` plus the kinds only the wire has (scan, subscriptions).

import type { Change, ChangeGap, OpResult, RecordMeta, ScannedRecord, ScanPage, WireOp } from '../../engine/layout/types';
import type { Status } from '../../engine/layout/status';

// The op kinds only the wire has live beside the engine's ops (engine/layout/types.ts), so the one
// validator (engine/layout/validate-op.ts) can check them without engine/ importing wire/.
export type { PurgeOp, ScanOp, SubscribeOp, UnsubscribeOp, WireOp, WireOpName } from '../../engine/layout/types';

/**
 * decodeRequest's answer. Keys, values and prefixes of decoded ops are views into the frame's
 * bytes (no copy): keep the frame unchanged while the ops are in use. (uWebSockets.js frees a
 * message's ArrayBuffer when the handler returns: copy the frame once, then decode the copy.)
 */
export type DecodeRequestResult =
  | { ok: true; id: number; ops: WireOp[] }
  | { ok: false; status: Status; id: number | null; message: string };

/** A result that is only a status: a failed scan, or anything the server refused. */
export interface StatusResult {
  status: Status;
  message?: string;
}

/** A purge's answer (status Ok): how many records it deleted. */
export interface PurgeResult {
  status: Status;
  deleted: number;
}

/** What encodeResponse takes per op: an engine result, a scan page (status Ok), a purge's count, or a status. */
export type ResultInput = OpResult | ScanPage | PurgeResult | StatusResult;

/** One decoded result. Fields that do not apply to the op are 0, '', null or empty. */
export interface WireResult extends RecordMeta {
  status: Status;
  value: Uint8Array | null;
  created: boolean;
  /** Scan: the page; empty (and shared, do not mutate) for other ops. */
  records: readonly ScannedRecord[];
  /** Scan: the next page's cursor; null when the scan is complete or the op is not a scan. */
  cursor: string | null;
  message: string | null;
  /** Purge: how many records it deleted; 0 for other ops. */
  deleted: number;
}

export interface ResponseFrame {
  type: 'response';
  /** null only when the server could not read the request's id. */
  id: number | null;
  /** Not Ok when the whole request failed; then there are no results. */
  status: Status;
  message: string | null;
  results: WireResult[];
}

export interface EventFrame {
  type: 'event';
  /** 0 when the server published the event to a topic rather than to one subscription. */
  subId: number;
  change: Change | ChangeGap;
}

/** Several events in one frame (EventBatch), in the order the server sent them. */
export interface EventBatchFrame {
  type: 'events';
  events: EventFrame[];
}

/** The bytes were not a valid server frame (decodeServerFrame never throws). */
export interface InvalidFrame {
  type: 'invalid';
  message: string;
}

export type ServerFrameDecoded = ResponseFrame | EventFrame | EventBatchFrame | InvalidFrame;
