// The main thread's handle on one shard: gathers the ops that arrive during an event-loop turn
// into one batch and sends it as one Piscina task (invariant 6: on these machines one cross-thread
// round trip costs 70-90 µs, so a per-op hop would dominate everything).
//
// At most one batch per shard is in flight. Ops that arrive meanwhile wait in the next batch, so
// batches grow with load; this also bounds what the shard can append to its journal between two
// drains (journal-drain.ts runs when each batch returns, before any result is delivered).

import { Piscina } from 'piscina';
import { OpWriter } from './batch/op-writer';
import { ResultReader } from './batch/result-reader';
import type { ResultSink } from './result-sink';
import type { ShardOptions } from './shard/shard-options';

/** A batch is closed once it holds this many bytes of ops; the next op starts another. */
export const batchBytesMax = 4 * 1024 * 1024;

class PendingBatch {
  readonly writer = new OpWriter();
  readonly sinks: ResultSink[] = [];
  readonly tokens: number[] = [];

  clear(): void {
    this.sinks.length = 0;
    this.tokens.length = 0;
  }
}

export class ShardLink {
  readonly shardIndex: number;
  readonly options: ShardOptions;
  readonly #pool: Piscina;
  readonly #onBatchReturned: () => void;
  /** Batches waiting to be sent, oldest first; the last one is the one being filled. */
  readonly #queue: PendingBatch[] = [new PendingBatch()];
  readonly #spare: PendingBatch[] = [];
  #inFlight: PendingBatch | null = null;
  #flushScheduled = false;
  #closed = false;
  restarts = 0;
  batchesSent = 0;
  opsSent = 0;

  constructor(options: ShardOptions, workerFilename: string, onBatchReturned: () => void) {
    this.shardIndex = options.shardIndex;
    this.options = options;
    this.#onBatchReturned = onBatchReturned;
    this.#pool = new Piscina({
      filename: workerFilename,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 1,
      idleTimeout: 2 ** 31 - 1,
      workerData: options,
      name: 'default',
      // Piscina's per-task timing histograms cost time on every task; /metrics has its own.
      recordTiming: false,
    });
  }

  /** The batch the next op must be written into (then call enqueue). */
  writerFor(opBytes: number): OpWriter {
    let batch = this.#queue[this.#queue.length - 1]!;
    if (batch.writer.count > 0 && batch.writer.byteLength + opBytes > batchBytesMax) {
      batch = this.#spare.pop() ?? new PendingBatch();
      this.#queue.push(batch);
    }
    return batch.writer;
  }

  /** Registers who receives the result of the op just written. */
  enqueue(sink: ResultSink, token: number): void {
    const batch = this.#queue[this.#queue.length - 1]!;
    batch.sinks.push(sink);
    batch.tokens.push(token);
    if (batch.sinks.length !== batch.writer.count) throw new Error('shard link invariant: sinks and ops out of step');
    if (this.#inFlight === null && !this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#inFlight !== null) return;
    const batch = this.#queue[0]!;
    if (batch.writer.count === 0) return;
    this.#queue.shift();
    if (this.#queue.length === 0) this.#queue.push(this.#spare.pop() ?? new PendingBatch());
    this.#inFlight = batch;
    this.batchesSent++;
    this.opsSent += batch.writer.count;
    const buffer = batch.writer.take();
    this.#pool.run(buffer, { transferList: [buffer] }).then(this.#onReturn, this.#onFail);
  };

  readonly #onReturn = (resultBuffer: ArrayBuffer): void => {
    const batch = this.#inFlight!;
    this.#inFlight = null;
    this.#onBatchReturned();
    const reader = new ResultReader(resultBuffer);
    const { sinks, tokens } = batch;
    for (let i = 0; i < sinks.length; i++) {
      sinks[i]!.onResult(tokens[i]!, reader);
      reader.next();
    }
    if (reader.position !== resultBuffer.byteLength) throw new Error('shard link invariant: result count differs from op count');
    this.#recycle(batch);
  };

  readonly #onFail = (): void => {
    // The thread died mid-batch: Piscina starts a replacement, which replays the committed journal
    // tail. Nothing in this batch is acknowledged; what the journal holds still reaches the log.
    const batch = this.#inFlight!;
    this.#inFlight = null;
    this.restarts++;
    this.#onBatchReturned();
    const { sinks, tokens } = batch;
    for (let i = 0; i < sinks.length; i++) sinks[i]!.onResult(tokens[i]!, null);
    this.#recycle(batch);
  };

  #recycle(batch: PendingBatch): void {
    batch.clear();
    this.#spare.push(batch);
    if (!this.#closed && this.#queue[0]!.writer.count > 0) this.#flush();
  }

  get idle(): boolean {
    return this.#inFlight === null && this.#queue[0]!.writer.count === 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool.destroy();
  }
}
