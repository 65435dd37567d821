// The contract the server, the tests and the model engine share. engine/front/engine.ts implements it
// with shard threads; engine/front/model-engine.ts implements it with one Map, as a reference model.

import type {
  Change,
  ChangeGap,
  EngineStats,
  Key,
  NamespaceConfig,
  Op,
  OpResult,
  ScanOptions,
  ScanPage,
  Value,
  PutMode,
} from '../layout/types';

export type ChangeListener = (change: Change) => void;

export interface ChangeLogApi {
  /** The LSN of the newest change (0 before the first). */
  readonly lastLsn: number;
  /** The LSN of the oldest change still held in memory (lastLsn + 1 when empty). */
  readonly oldestLsn: number;
  /**
   * Every retained change with lsn > afterLsn, in LSN order, or a gap marker when changes after
   * afterLsn have already left the bounded window.
   */
  readFrom(afterLsn: number, maxChanges?: number): Change[] | ChangeGap;
  /** Called synchronously for every change, in LSN order, as it enters the log. Returns unsubscribe. */
  subscribe(listener: ChangeListener): () => void;
}

export interface PutOptions {
  mode?: PutMode;
  ifGeneration?: number;
  ttl?: number;
  contentType?: string;
}

export interface EngineApi {
  readonly namespaces: readonly NamespaceConfig[];
  readonly changes: ChangeLogApi;
  /** Runs every op; ops on one shard are applied in array order. One result per op, in order. */
  batch(ops: readonly Op[]): Promise<OpResult[]>;
  execute(op: Op): Promise<OpResult>;
  get(ns: string, key: Key): Promise<OpResult>;
  head(ns: string, key: Key): Promise<OpResult>;
  put(ns: string, key: Key, value: Value, options?: PutOptions): Promise<OpResult>;
  delete(ns: string, key: Key, options?: { ifGeneration?: number }): Promise<OpResult>;
  touch(ns: string, key: Key, ttl?: number): Promise<OpResult>;
  /** Throws StatusError(UnknownNamespace | InvalidCursor | InvalidArgument) on bad input. */
  scan(ns: string, options?: ScanOptions): Promise<ScanPage>;
  stats(): EngineStats;
  close(): Promise<void>;
}
