// The main thread's handle on the snapshot-writer worker. One snapshot at a time:
// begin(meta), addChunk(bytes, records) any number of times, then finish() (or abort()).
//
// addChunk posts the chunk without copying when it can: a chunk that is a whole ordinary ArrayBuffer
// is transferred (detached here: the caller must not reuse it). Anything else is copied once: a view
// into a larger buffer (transferring would detach the caller's other bytes), and a chunk in a
// SharedArrayBuffer (a shard's table), because posting shared memory shares it and the shard would
// go on changing the bytes under the writer.

import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { assert } from '../layout/assert';
import { type SnapshotMeta, snapshotsKeptDefault } from '../layout/snapshot-format';
import type { MainToSnapshotWriter, SnapshotWriterToMain, SnapshotWriterWorkerData } from '../wal/snapshot-writer-protocol';
import type { SnapshotResult } from '../wal/snapshot-writer';

export type { SnapshotMeta } from '../layout/snapshot-format';
export type { SnapshotResult } from '../wal/snapshot-writer';

export interface SnapshotClientOptions {
  snapshotDirectory: string;
  /** Complete snapshots kept (older ones are deleted after each finish); default 2. */
  keep?: number;
}

/** A snapshot the worker could not write (disk full, I/O error); nothing under the final name. */
export class SnapshotFailure extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'SnapshotFailure';
    this.code = code;
  }
}

const workerScript = path.join(__dirname, '..', 'wal', 'snapshot-writer-worker.js');

interface Waiter {
  resolve: (message: SnapshotWriterToMain) => void;
  reject: (error: Error) => void;
}

export class SnapshotClient {
  readonly #worker: Worker;
  /** Replies arrive in request order: one waiter per finish/abort/close sent. */
  readonly #waiters: Waiter[] = [];
  #inSnapshot = false;
  #closed = false;
  #exited = false;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: SnapshotWriterToMain) => this.#waiters.shift()?.resolve(message));
    worker.on('error', (error: Error) => {
      for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    });
    // A worker that exited (it failed) answers nothing more: whoever waits is told, and close() waits for no reply.
    worker.on('exit', (code: number) => {
      this.#exited = true;
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new SnapshotFailure(`the snapshot writer exited (code ${code})`, 'EWORKER'));
    });
  }

  static async open(options: SnapshotClientOptions): Promise<SnapshotClient> {
    const workerData: SnapshotWriterWorkerData = { snapshotDirectory: options.snapshotDirectory, keep: options.keep ?? snapshotsKeptDefault };
    const client = new SnapshotClient(new Worker(workerScript, { workerData }));
    const ready = await client.#reply();
    assert(ready.type === 'ready', 'the snapshot writer did not start');
    return client;
  }

  #reply(): Promise<SnapshotWriterToMain> {
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #post(message: MainToSnapshotWriter, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  begin(meta: SnapshotMeta): void {
    assert(!this.#closed && !this.#inSnapshot, 'begin while a snapshot is open or after close');
    this.#inSnapshot = true;
    this.#post({ type: 'begin', meta });
  }

  addChunk(bytes: Uint8Array, records: number): void {
    assert(this.#inSnapshot, 'addChunk outside a snapshot');
    const owned = !(bytes.buffer instanceof SharedArrayBuffer) && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    if (owned) {
      try {
        const buffer = bytes.buffer as ArrayBuffer;
        this.#post({ type: 'chunk', buffer, byteOffset: 0, length: bytes.length, records }, [buffer]);
        return;
      } catch {
        // An untransferable buffer (Node's Buffer pool): copy it below instead.
      }
    }
    const copy = bytes.slice();
    this.#post({ type: 'chunk', buffer: copy.buffer, byteOffset: 0, length: copy.length, records }, [copy.buffer]);
  }

  /** Completes the snapshot: footer, fsync, rename, directory fsync, pruning of old snapshots. */
  async finish(): Promise<SnapshotResult> {
    assert(this.#inSnapshot, 'finish outside a snapshot');
    this.#inSnapshot = false;
    const reply = this.#reply();
    this.#post({ type: 'finish' });
    const message = await reply;
    if (message.type === 'finished') return message.result;
    if (message.type === 'failed') throw new SnapshotFailure(`snapshot failed: ${message.message}`, message.code);
    throw new Error(`unexpected reply ${message.type} to finish`);
  }

  /** Drops the snapshot being written; nothing appears under a snapshot name. */
  async abort(): Promise<void> {
    if (!this.#inSnapshot) return;
    this.#inSnapshot = false;
    const reply = this.#reply();
    this.#post({ type: 'abort' });
    await reply;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#inSnapshot = false;
    if (this.#exited) return;
    const reply = this.#reply();
    this.#post({ type: 'close' });
    await reply;
    await this.#worker.terminate();
  }
}
