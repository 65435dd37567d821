// The FIFO both ack gates park answers in (front/ack-gate.ts for `disk`, front/replication-ack-gate.ts
// for `replica`): a power-of-two ring of answers with the LSN each needs and when it was parked.
//
//   [ head ... tail )   index = position & (heldAnswersMax - 1)
//   push at tail, shift at head; needed LSNs never decrease from head to tail (asserted), so the
//   oldest answer is always the first a watermark can release, and the first to time out.

import { assert } from '../layout/assert';
import type { HeldAnswer } from './ack-gate';

/** Answers a gate can hold at once; past it the shard link stops sending (see ShardLink). */
export const heldAnswersMax = 1 << 16;
const mask = heldAnswersMax - 1;

export class HeldAnswers {
  readonly #answers: (HeldAnswer | null)[] = new Array<HeldAnswer | null>(heldAnswersMax).fill(null);
  readonly #needed = new Float64Array(heldAnswersMax);
  readonly #heldAtMs = new Float64Array(heldAnswersMax);
  #head = 0;
  #tail = 0;

  get count(): number {
    return this.#tail - this.#head;
  }

  get empty(): boolean {
    return this.#head === this.#tail;
  }

  /** The LSN the oldest parked answer needs (only when not empty). */
  get oldestNeeded(): number {
    return this.#needed[this.#head & mask]!;
  }

  /** When the oldest parked answer was parked, performance.now() ms (only when not empty). */
  get oldestHeldAtMs(): number {
    return this.#heldAtMs[this.#head & mask]!;
  }

  push(neededLsn: number, answer: HeldAnswer, nowMs: number): void {
    assert(this.#tail - this.#head < heldAnswersMax, 'ack gate: more answers held than heldAnswersMax');
    if (this.#tail !== this.#head) assert(neededLsn >= this.#needed[(this.#tail - 1) & mask]!, 'ack gate: needed LSNs must not decrease');
    const index = this.#tail & mask;
    this.#answers[index] = answer;
    this.#needed[index] = neededLsn;
    this.#heldAtMs[index] = nowMs;
    this.#tail++;
  }

  /** Takes the oldest parked answer off the ring (only when not empty). */
  shift(): HeldAnswer {
    assert(this.#head !== this.#tail, 'ack gate: shift from an empty ring');
    const index = this.#head & mask;
    const answer = this.#answers[index]!;
    this.#answers[index] = null;
    this.#head++;
    return answer;
  }

  /** Releases every parked answer, oldest first, as not durable (the WAL failed). */
  failAll(): void {
    while (this.#head !== this.#tail) this.shift().release(false);
  }
}
