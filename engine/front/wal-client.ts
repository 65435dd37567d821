// The main thread's handle on the WAL: it encodes each Change into one growable buffer and, once per
// event-loop turn (setImmediate), transfers that turn's records to the log-writer worker in ONE
// message. The worker publishes the durable LSN in shared memory (read without a message) and posts
// a small `durable` message after each group commit, which calls the onDurable listeners.
//
// The main thread never touches the disk: append never blocks, and acks wait on onDurable.

import * as path from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { GrowableBytes } from '../layout/growable-bytes';
import { assert } from '../layout/assert';
import { encodeWalRecord } from '../layout/wal-record';
import { fsyncLatencyRingSize, readDurableLsn, readWalState, sharedWordLatencyRing, walSharedStateBytes } from '../layout/wal-shared-state';
import type { Change } from '../layout/types';
import type { LogWriterToMain, LogWriterWorkerData, MainToLogWriter } from '../wal/log-writer-protocol';
import type { TestOnlyFaults } from '../layout/file-layer';
import type { FsyncPolicy } from '../wal/segment-log';

export interface WalClientOptions {
  dataDir: string;
  historyId: Uint8Array;
  fsync: FsyncPolicy;
  segmentBytes: number;
  /**
   * The LSN of the first change to append: max(WalReader report.nextLsn, snapshot start LSN + 1).
   * The worker starts a new segment there; earlier segments stay for readers until dropBefore.
   */
  nextLsn: number;
  /** TEST-ONLY: inject ENOSPC / EIO into the worker's file layer. */
  testOnlyFaults?: TestOnlyFaults;
}

export interface WalClientStats {
  durableLsn: number;
  writtenLsn: number;
  walBytes: number;
  segments: number;
  fsyncs: number;
  /** The most recent fsync latencies (µs), oldest first, at most fsyncLatencyRingSize. */
  fsyncLatencyUs: number[];
}

/** An Error the worker reported, with the fs code (ENOSPC, EIO, ...). */
export class WalFailure extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'WalFailure';
    this.code = code;
  }
}

const workerScript = path.join(__dirname, '..', 'wal', 'log-writer-worker.js');

export class WalClient {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #words: Int32Array;
  readonly #encoded = new GrowableBytes(256 * 1024);
  readonly #listeners: ((durableLsn: number) => void)[] = [];
  readonly #failureListeners: ((error: Error) => void)[] = [];
  readonly #flushBound = (): void => this.#flush();
  #nextLsn: number;
  #flushScheduled = false;
  #durableSeen: number;
  /** The highest LSN the onDurable listeners were called with. */
  #notifiedLsn: number;
  #failed: Error | null = null;
  #closing: Promise<void> | null = null;
  #ready = false;
  #onClosed: (() => void) | null = null;

  private constructor(worker: Worker, port: MessagePort, shared: SharedArrayBuffer, nextLsn: number) {
    this.#worker = worker;
    this.#port = port;
    this.#words = new Int32Array(shared);
    this.#nextLsn = nextLsn;
    this.#durableSeen = nextLsn - 1;
    this.#notifiedLsn = nextLsn - 1;
  }

  /** Starts the log-writer worker on `dataDir/wal` and resolves once it has its segments open. */
  static async open(options: WalClientOptions): Promise<WalClient> {
    assert(options.historyId.length === 16, 'history id is 16 bytes');
    assert(Number.isSafeInteger(options.nextLsn) && options.nextLsn >= 1, 'nextLsn is a safe integer >= 1');
    const shared = new SharedArrayBuffer(walSharedStateBytes);
    const channel = new MessageChannel();
    const workerData: LogWriterWorkerData & { port: MessagePort } = {
      walDirectory: path.join(options.dataDir, 'wal'),
      historyId: options.historyId.slice(),
      fsync: options.fsync,
      segmentBytes: options.segmentBytes,
      nextLsn: options.nextLsn,
      shared,
      port: channel.port2,
      ...(options.testOnlyFaults === undefined ? {} : { testOnlyFaults: options.testOnlyFaults }),
    };
    const worker = new Worker(workerScript, { workerData, transferList: [channel.port2] });
    const client = new WalClient(worker, channel.port1, shared, options.nextLsn);
    await client.#started();
    return client;
  }

  #started(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#worker.once('error', onError);
      this.#port.on('message', (message: LogWriterToMain) => {
        if (message.type === 'ready') {
          this.#ready = true;
          this.#worker.off('error', onError);
          this.#worker.on('error', (error: Error) => this.#fail(error));
          this.#worker.on('exit', (code: number) => {
            this.#exited = true;
            if (this.#closing === null) this.#fail(new WalFailure(`the log-writer worker exited (code ${code})`, 'EWORKER'));
            else this.#onClosed?.();
          });
          resolve();
        } else if (message.type === 'failed' && !this.#ready) {
          this.#port.close();
          void this.#worker.terminate();
          reject(new WalFailure(message.message, message.code));
        } else {
          this.#onMessage(message);
        }
      });
    });
  }

  #onMessage(message: LogWriterToMain): void {
    if (message.type === 'durable') {
      // Listeners track their own watermark: the getter may have seen this LSN in shared memory first.
      if (message.lsn <= this.#notifiedLsn) return;
      this.#notifiedLsn = message.lsn;
      this.#durableSeen = Math.max(this.#durableSeen, message.lsn);
      for (const listener of this.#listeners) listener(message.lsn);
    } else if (message.type === 'failed') {
      this.#fail(new WalFailure(`the WAL stopped: ${message.message}`, message.code));
    } else if (message.type === 'closed') {
      this.#onClosed?.();
    }
  }

  /** Set when the worker thread has exited, for whatever reason: close() then waits for no reply. */
  #exited = false;

  #fail(error: Error): void {
    if (this.#failed === null) {
      this.#failed = error;
      for (const listener of this.#failureListeners) listener(error);
    }
    this.#onClosed?.();
  }

  /** Appends one change; LSNs must be contiguous. Never blocks: the records go out once per turn. */
  append(change: Change): void {
    if (this.#admit(change.lsn)) {
      encodeWalRecord(this.#encoded, change);
      this.#scheduleFlush();
    }
  }

  /**
   * Appends the change of `lsn` as the change log already encoded it (ChangeLog.copyRecord): the
   * same record append(change) would encode, without encoding it twice.
   */
  appendLogged(lsn: number, log: { copyRecord(lsn: number, target: GrowableBytes): number }): void {
    if (this.#admit(lsn)) {
      log.copyRecord(lsn, this.#encoded);
      this.#scheduleFlush();
    }
  }

  /** Takes the next LSN; false once failed (nothing can become durable again: encoding would only cost time). */
  #admit(lsn: number): boolean {
    assert(this.#closing === null, 'append after close');
    // The message is built only on failure: a template literal per call would allocate per op.
    if (lsn !== this.#nextLsn) assert(false, `WAL append out of order: expected LSN ${this.#nextLsn}, got ${lsn}`);
    this.#nextLsn++;
    return this.#failed === null;
  }

  #scheduleFlush(): void {
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flushBound);
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#encoded.length === 0 || this.#failed !== null) {
      this.#encoded.length = 0;
      return;
    }
    const records = this.#encoded.takeBuffer();
    const message: MainToLogWriter = { type: 'append', records, lastLsn: this.#nextLsn - 1 };
    this.#port.postMessage(message, [records]);
  }

  /** The highest LSN acknowledgements may rely on (by fsync policy); frozen after a failure. */
  get durableLsn(): number {
    this.#durableSeen = Math.max(this.#durableSeen, readDurableLsn(this.#words, this.#durableSeen));
    return this.#durableSeen;
  }

  onDurable(listener: (durableLsn: number) => void): void {
    this.#listeners.push(listener);
  }

  /** Called once, on the main thread, when the WAL fails (a write or fsync error, or the worker died). */
  onFailed(listener: (error: Error) => void): void {
    this.#failureListeners.push(listener);
  }

  get failed(): Error | null {
    return this.#failed;
  }

  /** Asks the worker to delete closed segments whose records are all <= lsn. */
  dropBefore(lsn: number): void {
    assert(this.#closing === null, 'dropBefore after close');
    const message: MainToLogWriter = { type: 'drop', lsn };
    this.#port.postMessage(message);
  }

  stats(): WalClientStats {
    const state = readWalState(this.#words);
    const count = state?.fsyncLatencyCount ?? 0;
    const ring = new Int32Array(this.#words.buffer, sharedWordLatencyRing * 4, fsyncLatencyRingSize);
    const samples: number[] = [];
    const first = Math.max(0, count - fsyncLatencyRingSize);
    for (let index = first; index < count; index++) samples.push(ring[index % fsyncLatencyRingSize]!);
    return {
      durableLsn: Math.max(this.#durableSeen, state?.durableLsn ?? 0),
      writtenLsn: state?.writtenLsn ?? 0,
      walBytes: state?.walBytes ?? 0,
      segments: state?.segments ?? 0,
      fsyncs: state?.fsyncs ?? 0,
      fsyncLatencyUs: samples,
    };
  }

  /** Sends what is buffered, has the worker write and fsync it, and stops the worker. */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#flush();
    this.#closing = new Promise<void>((resolve) => {
      // A worker that already exited (it failed) answers nothing: there is nothing left to flush.
      if (this.#exited) return resolve();
      this.#onClosed = resolve;
      const message: MainToLogWriter = { type: 'close' };
      this.#port.postMessage(message);
    }).then(async () => {
      // Read the final published state before the port goes.
      this.#durableSeen = Math.max(this.#durableSeen, readDurableLsn(this.#words, this.#durableSeen));
      this.#port.close();
      await this.#worker.terminate();
    });
    return this.#closing;
  }
}
