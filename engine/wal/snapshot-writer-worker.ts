// The snapshot-writer worker: its own node:worker_threads thread, synchronous fs calls, so a large
// snapshot write never waits behind (or holds up) the WAL's fdatasyncs or libuv's shared pool.
// Messages are handled in order; after a write error the snapshot is dropped (temp file deleted) and
// every later chunk of it is ignored until `finish` reports the failure.

import { parentPort, workerData } from 'node:worker_threads';
import { nodeFileLayer } from '../layout/file-layer';
import type { MainToSnapshotWriter, SnapshotWriterToMain, SnapshotWriterWorkerData } from './snapshot-writer-protocol';
import { type SnapshotResult, SnapshotWriter } from './snapshot-writer';

const data = workerData as SnapshotWriterWorkerData;
const port = parentPort!;
const writer = new SnapshotWriter(nodeFileLayer, data.snapshotDirectory, data.keep);
let failure: Error | null = null;

function post(message: SnapshotWriterToMain): void {
  port.postMessage(message);
}

function codeOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

function guarded(step: () => void): void {
  if (failure !== null) return;
  try {
    step();
  } catch (error: unknown) {
    failure = error instanceof Error ? error : new Error(String(error));
    try {
      writer.abort();
    } catch {
      // The temp file may be gone with the disk; the next begin() removes leftovers.
    }
  }
}

port.on('message', (message: MainToSnapshotWriter) => {
  switch (message.type) {
    case 'begin':
      failure = null;
      guarded(() => writer.begin(message.meta));
      return;
    case 'chunk':
      guarded(() => writer.addChunk(new Uint8Array(message.buffer, message.byteOffset, message.length), message.records));
      return;
    case 'finish': {
      const outcome: { result: SnapshotResult | null } = { result: null };
      guarded(() => {
        outcome.result = writer.finish();
      });
      if (failure !== null || outcome.result === null) {
        const error = failure ?? new Error('finish without begin');
        post({ type: 'failed', message: error.message, code: codeOf(error) });
      } else {
        post({ type: 'finished', result: outcome.result });
      }
      failure = null;
      return;
    }
    case 'abort':
      failure = null;
      writer.abort();
      post({ type: 'aborted' });
      return;
    case 'close':
      writer.abort();
      post({ type: 'closed' });
      port.close();
      return;
  }
});
post({ type: 'ready' });
