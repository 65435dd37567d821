// Holds answers until the watermark their namespace's ack policy waits for has passed them
// (DESIGN invariant 5: `disk` = the WAL record is durable). The front never blocks on the disk: a
// batch whose results must wait is parked here with the LSN it needs, the shard link goes on
// sending the next batch (so fsyncs overlap with work: group commit), and the log writer's
// watermark releases parked batches in order.
//
//   held: [ b0 (needs lsn 40) | b1 (needs 41) | b2 (needs 57) ... ]   FIFO
//   advance(50) releases b0 and b1; b2 waits for a watermark >= 57.
//
// FIFO is enough: a batch needs the change log's last LSN at the moment its results returned, and
// batches return one after another on the one main thread, so needed LSNs never decrease. A gate
// that has failed (the WAL could not write or fsync) releases everything held as failed and
// answers every later write as failed: nothing is acknowledged that is not durable.

import { assert } from '../layout/assert';
import { HeldAnswers } from './held-answers';

export interface HeldAnswer {
  /**
   * Delivers the held results; `durable` false means the WAL failed: write ops answer PersistenceFailed.
   * `replicated` false (front/replication-ack-gate.ts): `replica` writes answer NotEnoughReplicas.
   */
  release(durable: boolean, replicated?: boolean): void;
}

/** What a shard link parks an answer in: AckGate (`disk`) or ReplicaAckGate (`replica`). */
export interface AnswerGate {
  hold(neededLsn: number, answer: HeldAnswer): boolean;
}

export class AckGate {
  readonly #held = new HeldAnswers();
  #durableLsn: number;
  #failed = false;

  constructor(durableLsn: number) {
    assert(Number.isSafeInteger(durableLsn) && durableLsn >= 0, 'ack gate: durable LSN');
    this.#durableLsn = durableLsn;
  }

  get durableLsn(): number {
    return this.#durableLsn;
  }

  get failed(): boolean {
    return this.#failed;
  }

  /** Answers parked and not yet released. */
  get heldCount(): number {
    return this.#held.count;
  }

  /**
   * Parks an answer until the watermark reaches neededLsn. Returns false (and parks nothing) when
   * the answer may go at once: the watermark has passed it, and nothing older is still held (an
   * answer never overtakes one parked before it). A failed gate releases it at once, as failed.
   */
  hold(neededLsn: number, answer: HeldAnswer): boolean {
    if (this.#failed) {
      answer.release(false);
      return true;
    }
    if (neededLsn <= this.#durableLsn && this.#held.empty) return false;
    // The gate needs no parking time (only the replica gate times answers out).
    this.#held.push(neededLsn, answer, 0);
    return true;
  }

  /** The watermark moved: releases, in order, every parked answer it now covers. */
  advance(durableLsn: number): void {
    if (durableLsn <= this.#durableLsn) return;
    this.#durableLsn = durableLsn;
    const held = this.#held;
    while (!held.empty && held.oldestNeeded <= durableLsn) held.shift().release(true);
  }

  /** The WAL failed: every parked answer is released as not durable, and so is every later one. */
  fail(): void {
    this.#failed = true;
    this.#held.failAll();
  }
}
