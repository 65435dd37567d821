// The main thread's handle on one shard: gathers the ops that arrive during an event-loop turn
// into one batch and sends it as one Piscina task (invariant 6: on these machines one cross-thread
// round trip costs 70-90 µs, so a per-op hop would dominate everything).
//
// At most batchesInFlightMax batches per shard are in flight. With one, the shard idles while its
// results travel back and the next batch travels out (both threads measured ~57 % idle at
// 380 k puts/s); two in flight measured worse (298 k vs 390 k puts/s, mean of 3 runs each: the
// second batch leaves nearly empty, so round trips rise), so the bound stays at one. Ops that arrive
// meanwhile wait in the next batch, so batches grow with load. The bound also caps what a shard can
// append to its journal between two drains (journal-drain.ts runs when each batch returns, before
// any result is delivered): batchesInFlightMax * batchBytesMax plus evictions, well under the ring.

import { fail } from '../layout/assert';
import { Status } from '../layout/status';
import { Piscina } from 'piscina';
import { OpWriter } from './op-writer';
import { ResultReader } from './result-reader';
import { statusView } from './result-collectors';
import type { ResultSink } from './result-sink';
import type { AckGate, AnswerGate, HeldAnswer } from './ack-gate';
import type { ShardOptions } from '../layout/shard-options';

/** A batch is closed once it holds this many bytes of ops; the next op starts another. */
export const batchBytesMax = 4 * 1024 * 1024;
export const batchesInFlightMax = 1;

/**
 * Batches whose results a link may hold for the ack gate at once; past it the link sends no more
 * until the WAL catches up (backpressure instead of unbounded parked results).
 */
export const heldBatchesMax = 64;

class PendingBatch implements HeldAnswer {
  readonly writer = new OpWriter();
  readonly sinks: ResultSink[] = [];
  readonly tokens: number[] = [];
  /** Key hashes of the writes in this batch (see ShardLink.hasPendingWrite). */
  readonly writeHashes: number[] = [];
  /** Indexes of the ops whose answer waits for the WAL (writes in `disk` and `replica` namespaces), ascending. */
  readonly durableOps: number[] = [];
  /** Indexes of the ops whose answer also waits for replica acks (writes in `replica` namespaces), ascending. */
  readonly replicaOps: number[] = [];
  /** The shard's answer, kept while the batch is held by the ack gate. */
  resultBuffer: ArrayBuffer | null = null;
  /** True while parked in the ack gate. */
  held = false;
  readonly #deliver: (batch: PendingBatch, durable: boolean, replicated: boolean) => void;

  constructor(deliver: (batch: PendingBatch, durable: boolean, replicated: boolean) => void) {
    this.#deliver = deliver;
  }

  release(durable: boolean, replicated = true): void {
    this.#deliver(this, durable, replicated);
  }

  clear(): void {
    this.sinks.length = 0;
    this.tokens.length = 0;
    this.writeHashes.length = 0;
    this.durableOps.length = 0;
    this.replicaOps.length = 0;
    this.resultBuffer = null;
  }
}


export class ShardLink {
  readonly shardIndex: number;
  readonly options: ShardOptions;
  readonly #pool: Piscina;
  /** Drains the shard's journal into the change log; returns the log's last LSN after it. */
  readonly #onBatchReturned: () => number;
  readonly #deliverBatch = (batch: PendingBatch, durable: boolean, replicated: boolean): void => this.#deliver(batch, durable, replicated);
  /** Batches waiting to be sent, oldest first; the last one is the one being filled. */
  readonly #queue: PendingBatch[] = [new PendingBatch(this.#deliverBatch)];
  readonly #spare: PendingBatch[] = [];
  /** Batches sent and not yet returned, oldest first (the shard answers them in order). */
  readonly #inFlight: PendingBatch[] = [];
  /** Writes submitted and not yet answered, by key hash: a direct read must not overtake them. */
  readonly #pendingWrites = new Map<number, number>();
  #flushScheduled = false;
  #closed = false;
  /** Batches answered by the shard and parked in the ack gate. */
  #held = 0;
  /** Set when the node persists: answers of `disk` writes wait for the durable watermark. */
  ackGate: AckGate | null = null;
  /** Set when the node persists: answers of `replica` writes wait for replica acks too (front/replication-ack-gate.ts). */
  replicaGate: AnswerGate | null = null;
  restarts = 0;
  batchesSent = 0;
  opsSent = 0;

  constructor(options: ShardOptions, workerFilename: string, onBatchReturned: () => number) {
    this.shardIndex = options.shardIndex;
    this.options = options;
    this.#onBatchReturned = onBatchReturned;
    this.#pool = new Piscina({
      filename: workerFilename,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: batchesInFlightMax,
      idleTimeout: 2 ** 31 - 1,
      workerData: options,
      name: 'default',
      // Piscina's per-task timing histograms cost time on every task; /metrics has its own.
      recordTiming: false,
      // Idle shard threads wait in their event loop, not in Atomics.wait: a thread parked in
      // Atomics.wait outlived pool.destroy() in 2 of 8 crash-test runs (the process never exited);
      // with 'disabled' 0 of 12 hung, and throughput was within run-to-run noise.
      atomics: 'disabled',
    });
    // A thread that dies outside a task (an uncaught exception after its batch returned) is
    // reported here, not through a task; unhandled, Piscina's 'error' event would throw on the
    // main thread. The pool replaces the thread either way.
    this.#pool.on('error', (error: unknown) => {
      this.restarts++;
      process.emitWarning(`tessera shard ${this.shardIndex} thread died: ${String((error as Error)?.message ?? error)}`, 'TesseraShardRestart');
    });
  }

  /** The batch the next op must be written into (then call enqueue). */
  writerFor(opBytes: number): OpWriter {
    let batch = this.#queue[this.#queue.length - 1]!;
    if (batch.writer.count > 0 && batch.writer.byteLength + opBytes > batchBytesMax) {
      batch = this.#spare.pop() ?? new PendingBatch(this.#deliverBatch);
      this.#queue.push(batch);
    }
    return batch.writer;
  }

  /**
   * Marks the op just written as a write to the key with this hash (until its batch is answered).
   * `ack`: 0 answered when applied; 1 when its WAL record is durable (`disk`); 2 when durable and
   * acknowledged by replicas (`replica`).
   */
  noteWrite(hash: number, ack: number): void {
    const batch = this.#queue[this.#queue.length - 1]!;
    batch.writeHashes.push(hash);
    if (ack !== 0) batch.durableOps.push(batch.writer.count - 1);
    if (ack === 2) batch.replicaOps.push(batch.writer.count - 1);
    this.#pendingWrites.set(hash, (this.#pendingWrites.get(hash) ?? 0) + 1);
  }

  /** True while a write to a key with this hash is queued or in flight. */
  hasPendingWrite(hash: number): boolean {
    return this.#pendingWrites.has(hash);
  }

  /** Registers who receives the result of the op just written. */
  enqueue(sink: ResultSink, token: number): void {
    const batch = this.#queue[this.#queue.length - 1]!;
    batch.sinks.push(sink);
    batch.tokens.push(token);
    if (batch.sinks.length !== batch.writer.count) fail('shard link invariant: sinks and ops out of step');
    if (this.#inFlight.length < batchesInFlightMax && !this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    // After close nothing is sent: Piscina would start a fresh thread on the closed engine's memory.
    if (this.#closed || this.#inFlight.length >= batchesInFlightMax || this.#held >= heldBatchesMax) return;
    const batch = this.#queue[0]!;
    if (batch.writer.count === 0) return;
    this.#queue.shift();
    if (this.#queue.length === 0) this.#queue.push(this.#spare.pop() ?? new PendingBatch(this.#deliverBatch));
    this.#inFlight.push(batch);
    this.batchesSent++;
    this.opsSent += batch.writer.count;
    const buffer = batch.writer.take();
    this.#pool.run(buffer, { transferList: [buffer] }).then(this.#onReturn, this.#onFail);
  };

  readonly #onReturn = (resultBuffer: ArrayBuffer): void => {
    const batch = this.#inFlight.shift()!;
    // The drain gives this batch's changes their LSNs: the log's last LSN now covers all of them.
    const neededLsn = this.#onBatchReturned();
    batch.resultBuffer = resultBuffer;
    // The replica gate's watermark never passes the local durable one: waiting on it covers both.
    const gate = batch.replicaOps.length > 0 && this.replicaGate !== null ? this.replicaGate : this.ackGate;
    if (batch.durableOps.length > 0 && gate !== null) {
      batch.held = true;
      this.#held++;
      if (gate.hold(neededLsn, batch)) {
        // Parked (or already released, as failed): the shard goes on without waiting for the disk.
        this.#flushNext();
        return;
      }
      batch.held = false;
      this.#held--;
    }
    this.#deliver(batch, true, true);
  };

  /** Answers every op of a returned batch; `durable` false turns the answers of durable ops into PersistenceFailed. */
  #deliver(batch: PendingBatch, durable: boolean, replicated: boolean): void {
    const resultBuffer = batch.resultBuffer;
    if (resultBuffer === null) fail('shard link invariant: delivering a batch without results');
    if (batch.held) {
      batch.held = false;
      this.#held--;
    }
    const reader = new ResultReader(resultBuffer);
    const { sinks, tokens, durableOps, replicaOps } = batch;
    let nextDurable = 0;
    let nextReplica = 0;
    for (let i = 0; i < sinks.length; i++) {
      const isDurable = durableOps[nextDurable] === i;
      if (isDurable) nextDurable++;
      const isReplica = replicaOps[nextReplica] === i;
      if (isReplica) nextReplica++;
      if (!durable && isDurable) {
        sinks[i]!.onResult(tokens[i]!, statusView(Status.PersistenceFailed));
      } else if (!replicated && isReplica && reader.status === Status.Ok) {
        // Only a write that took effect is "not acknowledged by replicas"; a refused one keeps its status.
        sinks[i]!.onResult(tokens[i]!, statusView(Status.NotEnoughReplicas));
      } else {
        sinks[i]!.onResult(tokens[i]!, reader);
      }
      reader.next();
    }
    if (reader.position !== resultBuffer.byteLength) fail('shard link invariant: result count differs from op count');
    this.#recycle(batch);
  }

  readonly #onFail = (): void => {
    // The thread died mid-batch: Piscina starts a replacement, which replays the committed journal
    // tail. Nothing in this batch is acknowledged; what the journal holds still reaches the log.
    const batch = this.#inFlight.shift()!;
    this.restarts++;
    this.#onBatchReturned();
    const { sinks, tokens } = batch;
    for (let i = 0; i < sinks.length; i++) sinks[i]!.onResult(tokens[i]!, null);
    this.#recycle(batch);
  };

  #recycle(batch: PendingBatch): void {
    for (const hash of batch.writeHashes) {
      const count = this.#pendingWrites.get(hash)!;
      if (count === 1) this.#pendingWrites.delete(hash);
      else this.#pendingWrites.set(hash, count - 1);
    }
    batch.clear();
    this.#spare.push(batch);
    this.#flushNext();
  }

  #flushNext(): void {
    if (!this.#closed && this.#queue[0]!.writer.count > 0 && !this.#flushScheduled) this.#flush();
  }

  get idle(): boolean {
    return this.#inFlight.length === 0 && this.#held === 0 && this.#queue[0]!.writer.count === 0;
  }

  /**
   * Stops the shard thread. Ops still queued (the engine's close gave up waiting for them) are
   * answered null (ShardUnavailable): never left without an answer; nothing of theirs was applied.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const batch of this.#queue) {
      const { sinks, tokens } = batch;
      for (let i = 0; i < sinks.length; i++) sinks[i]!.onResult(tokens[i]!, null);
      batch.writer.take();
      batch.clear();
    }
    await this.#pool.destroy();
  }
}
