// A shard's modification stamps: the `lastModified` of every record it writes, strictly increasing
// per shard, so that (lastModified, generation) names one version of one record for the life of
// the data. The HTTP ETag is built from that pair (wire/server/entity-tags.ts): a put, a delete and
// a put again leave generation 1 twice but two different stamps.
//
// A stamp is epoch milliseconds with a microsecond fraction: max(now, previous + 1 µs). Held as
// whole microseconds (≈ 1.8e15 today, well under 2^53) so the +1 is exact; the f64 stored in the
// record is us / 1000, and Math.round(stamp * 1000) gives the microseconds back exactly (the two
// roundings add up to well under half a microsecond at this magnitude).
//
// Why a stamp and not the LSN: the LSN of a write is given on the main thread when the journal is
// drained, after the shard answered; the stamp is known when the record is written, is already
// stored in the record, the journal, the WAL, snapshots and the replication stream, and is applied
// verbatim by replay and by a replica (shard-apply.ts), so replicas and a promoted replica serve
// the same ETag. `observe` raises the floor to every stamp applied from elsewhere (WAL replay,
// snapshot load, the primary's stream, a record found when a restarted thread attaches), so a
// restart or a promotion never hands out a stamp at or below one the data already holds, even
// when the wall clock went back. What it cannot see: a record deleted before the newest snapshot
// and gone from the WAL; only a wall clock set back past that record's time could then repeat it.

import { assert } from '../layout/assert';

export class ModificationStamps {
  #lastUs = 0;

  /** The stamp for a write made at nowMs: greater than every stamp issued or observed. */
  next(nowMs: number): number {
    const us = Math.max(Math.floor(nowMs) * 1000, this.#lastUs + 1);
    assert(us < Number.MAX_SAFE_INTEGER, 'modification stamp past 2^53 µs');
    this.#lastUs = us;
    return us / 1000;
  }

  /** Raises the floor to a stamp made elsewhere. */
  observe(stampMs: number): void {
    const us = Math.round(stampMs * 1000);
    if (us > this.#lastUs) this.#lastUs = us;
  }

  /** The largest stamp issued or observed, in µs (tests). */
  get lastUs(): number {
    return this.#lastUs;
  }
}

/** A stamp (ms with a µs fraction) as whole microseconds. */
export function stampMicroseconds(stampMs: number): number {
  return Math.round(stampMs * 1000);
}
