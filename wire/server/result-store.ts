// The results of a several-op WebSocket request, held until the last one arrives: each op's fields
// in reused number arrays and its value copied into one reused byte buffer, instead of an OpResult
// object and a fresh ArrayBuffer (`ResultView.value()`) per op. The store is itself a ResultView
// over the op its cursor points at, so the Response encoder reads it like a shard's result.
//
//   at(2) ─► cursor = 2 ─► status/generation/... read [2] ─► valueView() = bytes[start[2], +length[2])

import { mediaTypeOf } from '../../engine/layout/stored-content-type';
import { resultFlagHasValue } from '../../engine/layout/batch-layout';
import type { ResultView } from '../../engine/front/result-sink';
import { assert } from '../../engine/layout/assert';
import { Status } from '../../engine/layout/status';

/** The first value buffer: a batch of small gets fits; an unused store holds no buffer at all. */
const valueBytesInitial = 16 * 1024;
/**
 * A store grown past this by large values drops its buffer when reset. Stores are pooled (at most
 * resultStoresPooledMax in ws-submit.ts), so what pooled stores retain is bounded by the product.
 */
export const valueBytesRetainedMax = 256 * 1024;
const noBytes = new Uint8Array(0);

export class ResultStore implements ResultView {
  #count = 0;
  #cursor = 0;
  readonly #statuses: number[] = [];
  readonly #flags: number[] = [];
  readonly #generations: number[] = [];
  readonly #expiries: number[] = [];
  readonly #lastModifieds: number[] = [];
  readonly #contentTypes: string[] = [];
  readonly #valueStarts: number[] = [];
  readonly #valueLengths: number[] = [];
  #bytes = noBytes;
  #used = 0;

  get count(): number {
    return this.#count;
  }

  /** Empties the store for a request of `count` ops. */
  reset(count: number): void {
    assert(count > 0, 'a request has ops');
    this.#count = count;
    this.#used = 0;
    if (this.#bytes.byteLength > valueBytesRetainedMax) this.#bytes = noBytes;
  }

  /** Copies op `index`'s result in; null (the shard died) is kept as ShardUnavailable. */
  store(index: number, result: ResultView | null): void {
    assert(index >= 0 && index < this.#count, 'a stored result belongs to an op of the request');
    if (result === null) {
      this.#storeFields(index, Status.ShardUnavailable, 0, 0, 0, 0);
      this.#contentTypes[index] = '';
      this.#valueLengths[index] = 0;
      return;
    }
    this.#storeFields(index, result.status, result.flags, result.generation, result.expiry, result.lastModified);
    // The media type alone: the stored form may carry the record's Cache-Control (stored-content-type.ts).
    this.#contentTypes[index] = mediaTypeOf(result.contentType());
    if (!result.hasValue) {
      this.#valueLengths[index] = 0;
      return;
    }
    const value = result.valueView();
    const start = this.#used;
    const end = start + value.byteLength;
    if (end > this.#bytes.byteLength) this.#grow(end);
    this.#bytes.set(value, start);
    this.#used = end;
    this.#valueStarts[index] = start;
    this.#valueLengths[index] = value.byteLength;
  }

  /** Points the view at op `index`. Returns this. */
  at(index: number): ResultView {
    assert(index >= 0 && index < this.#count, 'a read result belongs to an op of the request');
    this.#cursor = index;
    return this;
  }

  get status(): number {
    return this.#statuses[this.#cursor] as number;
  }
  get flags(): number {
    return this.#flags[this.#cursor] as number;
  }
  get generation(): number {
    return this.#generations[this.#cursor] as number;
  }
  get expiry(): number {
    return this.#expiries[this.#cursor] as number;
  }
  get lastModified(): number {
    return this.#lastModifieds[this.#cursor] as number;
  }
  get hasValue(): boolean {
    return (this.flags & resultFlagHasValue) !== 0;
  }
  contentType(): string {
    return this.#contentTypes[this.#cursor] as string;
  }
  /** Allocates: a copy of the value, or null when the result carries none. */
  value(): Uint8Array | null {
    return this.hasValue ? this.valueView().slice() : null;
  }
  /** A view of the value inside the store (valid until the next reset). */
  valueView(): Uint8Array {
    if (!this.hasValue) return this.#bytes.subarray(0, 0);
    const start = this.#valueStarts[this.#cursor] as number;
    return this.#bytes.subarray(start, start + (this.#valueLengths[this.#cursor] as number));
  }

  #storeFields(index: number, status: number, flags: number, generation: number, expiry: number, lastModified: number): void {
    this.#statuses[index] = status;
    this.#flags[index] = flags;
    this.#generations[index] = generation;
    this.#expiries[index] = expiry;
    this.#lastModifieds[index] = lastModified;
  }

  #grow(bytesNeeded: number): void {
    let capacity = Math.max(valueBytesInitial, this.#bytes.byteLength * 2);
    while (capacity < bytesNeeded) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#used));
    this.#bytes = grown;
  }
}
