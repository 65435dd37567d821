// Calls waiting to be sent: made while the in-flight window is full, while reconnecting, or in this
// event-loop turn before the flush. Bounded by bytes (an estimate of their encoded size), not by
// count: 100 000 small puts are a few MiB, while a few huge values are what could exhaust memory.
//
//   call ──► push ──► [ oldest ... newest ] ──► takeFrame ──► one Request frame (many calls)
//                         ▲
//          putBack ───────┘  reads of a dropped socket, and frames the server refused Busy
//
// FIFO over an array with a moving head (Array.shift would be O(n) per call at 100 000 calls).
// The queue is kept in call order (`seq`): calls put back are merged in where they were made, so
// calls from several refused frames, put back one frame at a time, still leave in call order.

import type { WireOp, WireResult } from '../codec/wire-types';
import { TesseraError } from './tessera-error';

export interface PendingCall {
  /** Call order on its client, from 1. */
  readonly seq: number;
  /** One op, or the ops of one batch() that travel together. */
  readonly ops: readonly WireOp[];
  /** Only gets, heads and scans: safe to send again after a dropped connection. */
  readonly readOnly: boolean;
  /** Subscribe/unsubscribe go in a frame of their own (their order against writes matters). */
  readonly alone: boolean;
  /** Estimated encoded bytes. */
  readonly bytes: number;
  /** Ops whose answer may be large (get, scan): a frame carries a bounded number of them. */
  readonly heavyOps: number;
  readonly deadlineMs: number;
  /** `results` holds every result of the frame; this call's start at `offset`. */
  readonly resolve: (results: readonly WireResult[], offset: number) => void;
  readonly reject: (error: TesseraError) => void;
}

export interface FrameBounds {
  opsMax: number;
  bytesMax: number;
  heavyOpsMax: number;
  /** Calls per frame at most (1 without auto-pipelining). */
  callsMax: number;
}

export class CallQueue {
  #calls: PendingCall[] = [];
  #head = 0;
  #bytes = 0;
  readonly #bytesMax: number;

  constructor(bytesMax: number) {
    if (!(bytesMax > 0)) throw new RangeError('queueBytesMax must be positive');
    this.#bytesMax = bytesMax;
  }

  get size(): number {
    return this.#calls.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** false when the call would take the queue past its byte bound (the caller refuses it). */
  push(call: PendingCall): boolean {
    if (this.#bytes + call.bytes > this.#bytesMax && this.size > 0) return false;
    this.#calls.push(call);
    this.#bytes += call.bytes;
    return true;
  }

  /** Puts calls back in call order, whatever the bound: they were accepted once. */
  putBack(calls: readonly PendingCall[]): void {
    if (calls.length === 0) return;
    const returning = [...calls].sort((a, b) => a.seq - b.seq);
    const waiting = this.#calls.slice(this.#head);
    const merged: PendingCall[] = [];
    let r = 0;
    let w = 0;
    while (r < returning.length || w < waiting.length) {
      const takeReturning = w >= waiting.length || (r < returning.length && returning[r]!.seq < waiting[w]!.seq);
      merged.push(takeReturning ? returning[r++]! : waiting[w++]!);
    }
    this.#calls = merged;
    this.#head = 0;
    for (const call of calls) this.#bytes += call.bytes;
  }

  /**
   * The oldest calls that fit in one frame, removed from the queue; at least one call when the
   * queue is not empty (a call larger than the bounds goes alone).
   */
  takeFrame(bounds: FrameBounds): PendingCall[] {
    const taken: PendingCall[] = [];
    let ops = 0;
    let bytes = 0;
    let heavyOps = 0;
    while (this.#head < this.#calls.length) {
      const call = this.#calls[this.#head]!;
      if (taken.length > 0) {
        if (call.alone || taken[0]!.alone || taken.length >= bounds.callsMax) break;
        if (ops + call.ops.length > bounds.opsMax || bytes + call.bytes > bounds.bytesMax || heavyOps + call.heavyOps > bounds.heavyOpsMax) break;
      }
      taken.push(call);
      ops += call.ops.length;
      bytes += call.bytes;
      heavyOps += call.heavyOps;
      this.#calls[this.#head] = undefined as unknown as PendingCall; // let it be collected
      this.#head += 1;
    }
    this.#bytes -= bytes;
    this.#compact();
    return taken;
  }

  /** Fails every call whose deadline has passed with Timeout (oldest first; stops at the first in time). */
  expire(nowMs: number): void {
    while (this.#head < this.#calls.length) {
      const call = this.#calls[this.#head]!;
      if (call.deadlineMs > nowMs) break;
      this.#calls[this.#head] = undefined as unknown as PendingCall;
      this.#head += 1;
      this.#bytes -= call.bytes;
      call.reject(TesseraError.client('Timeout', 'no response in time (the call was still waiting to be sent)'));
    }
    this.#compact();
  }

  rejectAll(error: TesseraError): void {
    const calls = this.#calls.slice(this.#head);
    this.#calls = [];
    this.#head = 0;
    this.#bytes = 0;
    for (const call of calls) call.reject(error);
  }

  #compact(): void {
    if (this.#head === this.#calls.length) {
      this.#calls = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#calls.length) {
      this.#calls = this.#calls.slice(this.#head);
      this.#head = 0;
    }
  }
}
