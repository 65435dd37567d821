// The contract the server, the tests and the model engine share. engine/front/engine.ts implements it
// with shard threads; engine/front/model-engine.ts implements it with one Map, as a reference model.
import type { RejoinPoint } from './divergent-tail';
import type { TestOnlyFaults } from '../layout/file-layer';
import type { RecoveryProgress } from './recovery';

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
   * afterLsn have already left the bounded window. Each call decodes fresh copies (the log keeps
   * bytes, not objects), so ask for what you need (maxChanges).
   */
  readFrom(afterLsn: number, maxChanges?: number): Change[] | ChangeGap;
  /**
   * Called synchronously for every change, in LSN order, as it enters the log. Returns unsubscribe.
   * The change is valid during the call only (its bytes are reused after): copy what you keep, or
   * read it again later with readFrom, which answers standalone copies.
   */
  subscribe(listener: ChangeListener): () => void;
}

export interface PutOptions {
  mode?: PutMode;
  ifGeneration?: number;
  ttl?: number;
  contentType?: string;
  tags?: readonly string[];
}

/** One shard's answer to taggedKeys: a page of keys carrying the tag, and how many carry it now. */
export interface TaggedKeys {
  total: number;
  keys: Uint8Array[];
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
  /**
   * Per shard (one entry each, in shard order): up to `limit` keys of ns that carry the surrogate
   * key `tag`, those tagged longest ago first, and how many carry it. A purge by tag deletes them.
   * Throws StatusError(UnknownNamespace | InvalidArgument | ShardUnavailable).
   */
  taggedKeys(ns: string, tag: string, limit: number): Promise<TaggedKeys[]>;
  stats(): EngineStats;
  close(): Promise<void>;
}

export interface EngineTestHooks {
  /** Sets the clock every shard uses for TTLs, in epoch ms; 0 returns to the real clock. */
  setClockMs(ms: number): void;
  /** Makes a shard thread die: now, right after its next journal append, or by an uncaught throw. */
  crashShard(shardIndex: number, how: 'exit' | 'exitAfterNextAppend' | 'throw'): Promise<void>;
}

export interface EngineOpenOptions {
  /**
   * false: resolve as soon as the shard threads run; recovery goes on behind `engine.ready`, and
   * ops answer Recovering until it is done (the server uses this so /status can say so).
   */
  awaitRecovery?: boolean;
  /** Recovery progress, at most every 2 s. */
  onRecoveryProgress?: RecoveryProgress;
  /** Called once if the WAL fails for good (writes are refused from then on). */
  onPersistenceFailed?: (error: Error) => void;
  /** TEST-ONLY: faults injected into the log-writer's file layer. */
  testOnlyWalFaults?: TestOnlyFaults;
  /** A node rejoining as a replica of a promoted node: its divergent tail is cut before recovery (divergent-tail.ts). */
  rejoin?: RejoinPoint;
}
