// The log-writer worker's published state: one SharedArrayBuffer the worker writes and the main
// thread reads (Int32 words; 64-bit values as low/high u32 pairs).
//
//   word 0       seq         a seqlock: odd while the worker updates words 1..10
//   words 1, 2   durableLsn  low, high    (what acks may rely on, by fsync policy)
//   words 3, 4   writtenLsn  low, high
//   words 5, 6   walBytes    low, high    (record bytes written since start)
//   word 7       segments    (segment files held, the spare not counted)
//   word 8       fsyncs      (since start)
//   word 9       failed      (1 once the log failed; never goes back to 0)
//   word 10      fsyncLatencyCount (samples ever taken)
//   words 16..   fsyncLatencyUs ring (fsyncLatencyRingSize words, integer microseconds)
//
// Ordering rule: the single writer does Atomics.add(seq, 1) (odd), stores the fields, then
// Atomics.add(seq, 1) (even). A reader loads seq, reads the fields, loads seq again, and keeps the
// values only if both loads are equal and even; else it retries (a bounded number of times). The
// Atomics operations are sequentially consistent, so a reader seeing an even seq twice has seen
// the complete update that seq stands for. The latency ring is informational and read without the lock.

import { assert } from './assert';

export const sharedWordSeq = 0;
export const sharedWordDurableLow = 1;
export const sharedWordWrittenLow = 3;
export const sharedWordBytesLow = 5;
export const sharedWordSegments = 7;
export const sharedWordFsyncs = 8;
export const sharedWordFailed = 9;
export const sharedWordLatencyCount = 10;
export const sharedWordLatencyRing = 16;
export const fsyncLatencyRingSize = 256;
export const walSharedStateBytes = (sharedWordLatencyRing + fsyncLatencyRingSize) * 4;
/** A reader gives up after this many torn reads and keeps its previous values. */
export const seqlockReadTriesMax = 1000;

export interface WalPublished {
  durableLsn: number;
  writtenLsn: number;
  walBytes: number;
  segments: number;
  fsyncs: number;
  failed: boolean;
  fsyncLatencyCount: number;
}

function storeU53(words: Int32Array, low: number, value: number): void {
  Atomics.store(words, low, value % 2 ** 32 | 0);
  Atomics.store(words, low + 1, Math.floor(value / 2 ** 32) | 0);
}

function loadU53(words: Int32Array, low: number): number {
  return (Atomics.load(words, low) >>> 0) + (Atomics.load(words, low + 1) >>> 0) * 2 ** 32;
}

/** Worker side: publishes one consistent update. */
export function publishWalState(words: Int32Array, state: WalPublished): void {
  Atomics.add(words, sharedWordSeq, 1);
  storeU53(words, sharedWordDurableLow, state.durableLsn);
  storeU53(words, sharedWordWrittenLow, state.writtenLsn);
  storeU53(words, sharedWordBytesLow, state.walBytes);
  Atomics.store(words, sharedWordSegments, state.segments);
  Atomics.store(words, sharedWordFsyncs, state.fsyncs);
  Atomics.store(words, sharedWordFailed, state.failed ? 1 : 0);
  Atomics.store(words, sharedWordLatencyCount, state.fsyncLatencyCount);
  Atomics.add(words, sharedWordSeq, 1);
}

/** Main side: the durable LSN alone, without allocating; `previous` when the read kept tearing. */
export function readDurableLsn(words: Int32Array, previous: number): number {
  for (let tries = 0; tries < seqlockReadTriesMax; tries++) {
    const before = Atomics.load(words, sharedWordSeq);
    if ((before & 1) !== 0) continue;
    const value = loadU53(words, sharedWordDurableLow);
    if (Atomics.load(words, sharedWordSeq) === before) return value;
  }
  return previous;
}

/** Main side: every published field (allocates the result; for stats). */
export function readWalState(words: Int32Array): WalPublished | null {
  for (let tries = 0; tries < seqlockReadTriesMax; tries++) {
    const before = Atomics.load(words, sharedWordSeq);
    if ((before & 1) !== 0) continue;
    const state: WalPublished = {
      durableLsn: loadU53(words, sharedWordDurableLow),
      writtenLsn: loadU53(words, sharedWordWrittenLow),
      walBytes: loadU53(words, sharedWordBytesLow),
      segments: Atomics.load(words, sharedWordSegments),
      fsyncs: Atomics.load(words, sharedWordFsyncs),
      failed: Atomics.load(words, sharedWordFailed) === 1,
      fsyncLatencyCount: Atomics.load(words, sharedWordLatencyCount),
    };
    if (Atomics.load(words, sharedWordSeq) === before) return state;
  }
  return null;
}

function assertLayout(): void {
  assert(sharedWordLatencyCount < sharedWordLatencyRing, 'latency ring after the fields');
  assert((fsyncLatencyRingSize & (fsyncLatencyRingSize - 1)) === 0, 'latency ring is a power of two');
}
assertLayout();
