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

/** Answers a gate can hold at once; past it the shard link stops sending (see ShardLink). */
export const heldAnswersMax = 1 << 16;

export class AckGate {
  readonly #held: (HeldAnswer | null)[] = new Array<HeldAnswer | null>(heldAnswersMax).fill(null);
  readonly #needed = new Float64Array(heldAnswersMax);
  #head = 0;
  #tail = 0;
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
    return this.#tail - this.#head;
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
    if (neededLsn <= this.#durableLsn && this.#head === this.#tail) return false;
    assert(this.#tail - this.#head < heldAnswersMax, 'ack gate: more answers held than heldAnswersMax');
    const previous = this.#tail === this.#head ? 0 : this.#needed[(this.#tail - 1) & (heldAnswersMax - 1)]!;
    assert(neededLsn >= previous, 'ack gate: needed LSNs must not decrease');
    const index = this.#tail & (heldAnswersMax - 1);
    this.#held[index] = answer;
    this.#needed[index] = neededLsn;
    this.#tail++;
    return true;
  }

  /** The watermark moved: releases, in order, every parked answer it now covers. */
  advance(durableLsn: number): void {
    if (durableLsn <= this.#durableLsn) return;
    this.#durableLsn = durableLsn;
    while (this.#head !== this.#tail) {
      const index = this.#head & (heldAnswersMax - 1);
      if (this.#needed[index]! > durableLsn) break;
      const answer = this.#held[index]!;
      this.#held[index] = null;
      this.#head++;
      answer.release(true);
    }
  }

  /** The WAL failed: every parked answer is released as not durable, and so is every later one. */
  fail(): void {
    this.#failed = true;
    while (this.#head !== this.#tail) {
      const index = this.#head & (heldAnswersMax - 1);
      const answer = this.#held[index]!;
      this.#held[index] = null;
      this.#head++;
      answer.release(false);
    }
  }
}
