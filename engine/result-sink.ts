import type { ResultReader } from './batch/result-reader';

/**
 * Receives one op's result. `reader` points at the result and is valid only during the call;
 * null means the shard died before answering (ShardUnavailable). A sink with a numeric token lets
 * one object serve many ops without a closure per op.
 */
export interface ResultSink {
  onResult(token: number, reader: ResultReader | null): void;
}
