// The bytes of every WebSocket response waiting for this event-loop turn's flush, for all
// connections, in one reused buffer. A response is encoded into the shared FlatBuffers builder and
// copied here at once; each connection keeps the [start, end) spans of its own frames; the flush
// sends views of those spans (uWS copies what it sends before send() returns) and then the arena
// starts over. Before this, each response was a fresh ArrayBuffer: the profile of the cdn workload
// showed ArrayBuffer backing-store churn (BackingStore::Allocate, ArrayBufferSweeper,
// GlobalBackingStoreRegistry, malloc/free) at about 5 % of the server's CPU, plus their share of
// malloc (docs/PERFORMANCE.md).
//
//   bytes: [ conn A frame 1 | conn B frame 1 | conn A frame 2 | ... free ... ]
//   A.spans = [0, a1, b1e, a2e]   B.spans = [a1, b1e]          used ──────────┘

import { assert } from '../../engine/layout/assert';

/** Holds a turn's responses of a busy server without growing (1 KiB values, hundreds per turn). */
const arenaBytesInitial = 256 * 1024;
/** After a turn that grew the arena past this (large values, scans), it shrinks back at reset. */
const arenaBytesRetainedMax = 4 * 1024 * 1024;

export class OutboxArena {
  #bytes = new Uint8Array(arenaBytesInitial);
  #used = 0;

  /** Bytes held since the last reset. */
  get used(): number {
    return this.#used;
  }

  /** Copies the frame in; returns its start (its end is start + frame.byteLength). */
  append(frame: Uint8Array): number {
    const start = this.#used;
    const end = start + frame.byteLength;
    if (end > this.#bytes.byteLength) this.#grow(end);
    this.#bytes.set(frame, start);
    this.#used = end;
    return start;
  }

  /** A view of [start, end): valid until the next reset() or append(). */
  view(start: number, end: number): Uint8Array {
    assert(start >= 0 && start <= end && end <= this.#used, 'an outbox span lies inside the used arena');
    return this.#bytes.subarray(start, end);
  }

  /** Forgets every frame (after the flush sent them); shrinks after a turn of unusual size. */
  reset(): void {
    this.#used = 0;
    if (this.#bytes.byteLength > arenaBytesRetainedMax) this.#bytes = new Uint8Array(arenaBytesInitial);
  }

  #grow(bytesNeeded: number): void {
    let capacity = this.#bytes.byteLength * 2;
    while (capacity < bytesNeeded) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#used));
    this.#bytes = grown;
  }
}
