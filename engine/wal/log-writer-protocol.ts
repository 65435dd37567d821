// Messages between the WalClient (main thread) and the log-writer worker. One `append` per main
// event-loop turn carries every record encoded in that turn, its buffer transferred, not copied.

import type { TestOnlyFaults } from '../layout/file-layer';
import type { FsyncPolicy } from './segment-log';

export interface LogWriterWorkerData {
  walDirectory: string;
  historyId: Uint8Array;
  fsync: FsyncPolicy;
  segmentBytes: number;
  nextLsn: number;
  /** The published state (layout/wal-shared-state.ts). */
  shared: SharedArrayBuffer;
  /** TEST-ONLY: inject disk faults into the real worker. */
  testOnlyFaults?: TestOnlyFaults;
}

export type MainToLogWriter =
  | { type: 'append'; records: ArrayBuffer; lastLsn: number }
  | { type: 'drop'; lsn: number }
  | { type: 'close' };

export type LogWriterToMain =
  | { type: 'ready' }
  | { type: 'durable'; lsn: number }
  | { type: 'failed'; message: string; code: string }
  | { type: 'dropped'; segments: number }
  | { type: 'closed' };
