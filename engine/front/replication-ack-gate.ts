// Holds the answers of `replica` writes (DESIGN "Acks": durable here AND acknowledged by
// minReplicas in-sync replicas) until both watermarks have passed them: the local durable LSN
// (the log-writer's) and the replicated LSN (the minReplicas-th highest durable LSN the connected
// replicas acknowledged, wire/server/replication/). An answer held longer than timeoutMs once it
// is durable here is released as not replicated: its writes answer NotEnoughReplicas (applied and
// durable here, not acknowledged by replicas: never a silent downgrade to `disk`).
//
// Same FIFO as AckGate (front/ack-gate.ts): needed LSNs never decrease, and the oldest answer is
// also the first to time out, so releasing from the head keeps the order answers were parked in.
// This is WAIT-like, not consensus: a primary that dies after the replicas acknowledged loses
// nothing they have; one that dies before may have applied a write nobody acknowledged.

import { assert } from '../layout/assert';
import type { HeldAnswer } from './ack-gate';
import { HeldAnswers } from './held-answers';

/** The timeout sweep runs at most this often, and only while answers are held. */
const sweepIntervalMsMax = 50;

export class ReplicaAckGate {
  readonly #held = new HeldAnswers();
  readonly #timeoutMs: number;
  #localLsn: number;
  #replicatedLsn: number;
  #failed = false;
  #sweep: NodeJS.Timeout | null = null;
  timeouts = 0;

  constructor(localLsn: number, timeoutMs: number) {
    assert(Number.isSafeInteger(localLsn) && localLsn >= 0, 'replica ack gate: local LSN');
    assert(Number.isInteger(timeoutMs) && timeoutMs > 0, 'replica ack gate: timeout');
    this.#localLsn = localLsn;
    this.#replicatedLsn = localLsn;
    this.#timeoutMs = timeoutMs;
  }

  get replicatedLsn(): number {
    return this.#replicatedLsn;
  }

  get heldCount(): number {
    return this.#held.count;
  }

  /** As AckGate.hold: false when the answer may go at once (both watermarks passed, nothing older held). */
  hold(neededLsn: number, answer: HeldAnswer): boolean {
    if (this.#failed) {
      answer.release(false);
      return true;
    }
    if (neededLsn <= Math.min(this.#localLsn, this.#replicatedLsn) && this.#held.empty) return false;
    this.#held.push(neededLsn, answer, performance.now());
    if (this.#sweep === null) {
      this.#sweep = setInterval(() => this.#release(), Math.min(sweepIntervalMsMax, Math.max(1, this.#timeoutMs >>> 2)));
      this.#sweep.unref();
    }
    return true;
  }

  advanceLocal(lsn: number): void {
    if (lsn <= this.#localLsn) return;
    this.#localLsn = lsn;
    this.#release();
  }

  advanceReplicated(lsn: number): void {
    if (lsn <= this.#replicatedLsn) return;
    this.#replicatedLsn = lsn;
    this.#release();
  }

  #release(): void {
    const nowMs = performance.now();
    const both = Math.min(this.#localLsn, this.#replicatedLsn);
    const held = this.#held;
    while (!held.empty) {
      const needed = held.oldestNeeded;
      let replicated = true;
      if (needed > both) {
        // Not replicated in time: released only once durable here (its disk ops are then true).
        if (needed > this.#localLsn || nowMs - held.oldestHeldAtMs < this.#timeoutMs) break;
        replicated = false;
        this.timeouts++;
      }
      held.shift().release(true, replicated);
    }
    this.#stopSweepIfIdle();
  }

  #stopSweepIfIdle(): void {
    if (this.#held.empty && this.#sweep !== null) {
      clearInterval(this.#sweep);
      this.#sweep = null;
    }
  }

  /** The WAL failed: everything held is released as not durable (PersistenceFailed), and so is every later answer. */
  fail(): void {
    this.#failed = true;
    this.#held.failAll();
    this.#stopSweepIfIdle();
  }
}
