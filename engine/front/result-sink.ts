import type { RecordStamp } from '../layout/types';

/**
 * One op's result as a sink sees it: a ResultReader over a shard's answer, or a DirectRead served
 * from shared memory on the main thread. Field reads allocate nothing; value() and contentType()
 * copy and say so; valueView() is valid only during the onResult call.
 */
export interface ResultView extends Readonly<RecordStamp> {
  readonly status: number;
  readonly flags: number;
  readonly hasValue: boolean;
  contentType(): string;
  value(): Uint8Array | null;
  valueView(): Uint8Array;
}

/**
 * Receives one op's result. `result` is valid only during the call; null means the shard died
 * before answering (ShardUnavailable). A sink with a numeric token lets one object serve many ops
 * without a closure per op.
 */
export interface ResultSink {
  onResult(token: number, result: ResultView | null): void;
}
