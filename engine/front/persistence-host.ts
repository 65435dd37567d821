// What persistence (recovery, the WAL feed, snapshots, disk acks) needs from the engine, as one
// narrow interface: the engine implements it, and persistence never reaches further in.

import type { NamespaceConfig } from '../layout/types';
import type { AckGate, AnswerGate } from './ack-gate';
import type { ApplyRequest } from './apply-request';
import type { ChangeLog } from './change-log';
import type { ScanSliceRequest } from './op-writer';
import type { ResultSink } from './result-sink';

export interface PersistenceHost {
  readonly changes: ChangeLog;
  readonly namespaces: readonly NamespaceConfig[];
  readonly shardCount: number;
  /** A request struct persistence may refill for apply(). */
  readonly applyRequest: ApplyRequest;
  namespaceId(name: string): number | undefined;
  /** readsRefused: only during recovery (every op answers Recovering); see Engine.apply. */
  apply(request: ApplyRequest, sink: ResultSink, token: number, readsRefused?: boolean): void;
  /** Recovery: a snapshot chunk to the one shard owning all its keys, as one op; false when no one shard does. */
  applyChunk(chunk: Uint8Array, namespaceId: number, sink: ResultSink, token: number): boolean;
  /** One scan slice of one shard; resolves with a copy of its payload, or null if the shard died. */
  scanSlice(shard: number, request: ScanSliceRequest): Promise<Uint8Array | null>;
  /** Grows every shard's index to hold about `records` records in all (before loading a snapshot). */
  reserveIndex(records: number): Promise<void>;
  /** From now on, answers of `disk` writes wait for this gate. */
  attachAckGate(gate: AckGate, replicaGate: AnswerGate | null): void;
}
