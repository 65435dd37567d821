// Messages between the SnapshotClient (main thread) and the snapshot-writer worker.

import type { SnapshotMeta } from '../layout/snapshot-format';
import type { SnapshotResult } from './snapshot-writer';

export interface SnapshotWriterWorkerData {
  snapshotDirectory: string;
  keep: number;
}

export type MainToSnapshotWriter =
  | { type: 'begin'; meta: SnapshotMeta }
  | { type: 'chunk'; buffer: ArrayBuffer; byteOffset: number; length: number; records: number }
  | { type: 'finish' }
  | { type: 'abort' }
  | { type: 'close' };

export type SnapshotWriterToMain =
  | { type: 'ready' }
  | { type: 'finished'; result: SnapshotResult }
  | { type: 'failed'; message: string; code: string }
  | { type: 'aborted' }
  | { type: 'closed' };
