// The log-writer worker: a plain node:worker_threads Worker (not Piscina, not libuv's pool) that owns
// the WAL's SegmentLog and does every write and fdatasync with synchronous fs calls.
//
// Group commit: when a message wakes the worker it drains every message already queued
// (receiveMessageOnPort, bounded), appends all their records, then does one write + one fdatasync.
// Messages that arrive while that fdatasync runs queue up and are all covered by the next one.
// After each commit it publishes the state in shared memory, then posts one small `durable` message.

import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { publishWalState, sharedWordLatencyRing } from '../layout/wal-shared-state';
import { nodeFileLayer, withTestOnlyFaults } from '../layout/file-layer';
import type { LogWriterToMain, LogWriterWorkerData, MainToLogWriter } from './log-writer-protocol';
import { SegmentLog, everysecIntervalMs } from './segment-log';

/** Messages taken into one commit at most (bounds the commit's latency and memory). */
export const messagesPerCommitMax = 4096;

const data = workerData as LogWriterWorkerData & { port: MessagePort };
const port = data.port;
const words = new Int32Array(data.shared);
const log = new SegmentLog({
  files: withTestOnlyFaults(nodeFileLayer, data.testOnlyFaults),
  walDirectory: data.walDirectory,
  historyId: data.historyId,
  fsync: data.fsync,
  segmentBytes: data.segmentBytes,
  nextLsn: data.nextLsn,
});
let publishedDurableLsn = data.nextLsn - 1;
let failureReported = false;
let closing = false;
let ticker: NodeJS.Timeout | null = null;

function post(message: LogWriterToMain): void {
  port.postMessage(message);
}

function publish(): void {
  const stats = log.stats();
  // The latency ring is copied before the seqlock update that announces the new count.
  const ring = new Int32Array(data.shared, sharedWordLatencyRing * 4, log.fsyncLatencyUs.length);
  for (let i = 0; i < ring.length; i++) ring[i] = Math.round(log.fsyncLatencyUs[i]!);
  publishWalState(words, {
    durableLsn: stats.durableLsn,
    writtenLsn: stats.writtenLsn,
    walBytes: stats.bytesWritten,
    segments: stats.segments,
    fsyncs: stats.fsyncs,
    failed: stats.failed !== null,
    fsyncLatencyCount: stats.fsyncLatencyCount,
  });
  if (stats.durableLsn > publishedDurableLsn) {
    publishedDurableLsn = stats.durableLsn;
    post({ type: 'durable', lsn: stats.durableLsn });
  }
  if (stats.failed !== null && !failureReported) {
    failureReported = true;
    post({ type: 'failed', message: stats.failed.message, code: errorCode(stats.failed) });
  }
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

function handle(message: MainToLogWriter): void {
  if (message.type === 'append') log.append(new Uint8Array(message.records));
  else if (message.type === 'drop') dropBefore(message.lsn);
  else closing = true;
}

function dropBefore(lsn: number): void {
  try {
    post({ type: 'dropped', segments: log.dropBefore(lsn) });
  } catch {
    // Deleting an old segment is housekeeping: a failure leaves a file behind, never loses data.
    post({ type: 'dropped', segments: 0 });
  }
}

function onMessage(first: MainToLogWriter): void {
  handle(first);
  for (let taken = 1; taken < messagesPerCommitMax; taken++) {
    const next = receiveMessageOnPort(port);
    if (next === undefined) break;
    handle(next.message as MainToLogWriter);
  }
  log.commit();
  publish();
  if (closing) return finish();
  log.prepareSpare();
}

function finish(): void {
  if (ticker !== null) clearInterval(ticker);
  log.close();
  publish();
  post({ type: 'closed' });
  port.close();
}

function start(): void {
  try {
    log.open();
  } catch (error: unknown) {
    const failure = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', message: `could not open the WAL in ${data.walDirectory}: ${failure.message}`, code: errorCode(failure) });
    port.close();
    return;
  }
  publish();
  port.on('message', onMessage);
  if (data.fsync === 'everysec') {
    ticker = setInterval(() => {
      log.tick();
      publish();
    }, everysecIntervalMs / 4);
  }
  post({ type: 'ready' });
}

start();
