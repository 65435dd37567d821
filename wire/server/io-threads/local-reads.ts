// The read fast path of an I/O thread: a one-op get or head that the thread can answer from the
// shared tables (engine/front/direct-read.ts, the front's own direct read) is answered here, with
// no hop to the front; anything else is relayed. The front has no part in such a read, so every
// check it would make is made here first, and anything this thread cannot decide goes to the front:
//   * the gate (a shared word the front keeps): closed while recovering, draining or stopped, and
//     while the node holds more unread output than maxBufferedOutputBytes (the front says Busy);
//   * the connection has nothing relayed still unanswered: a get after the connection's own put
//     must see it, and the put is still with the front (the I/O thread counts answers back);
//   * the token may read the namespace (the front sends the readable namespaces with the upgrade);
//   * the op is valid for its namespace (else the front answers its typed status);
//   * the connection's unread output is under busyBackpressureBytes (else the front answers Busy).
// A read that the table cannot prove consistent (a write in progress, a rehash, an expired record)
// falls back to the front, which routes it to the owner, as its own direct read does.

import { DirectOutcome } from '../../../engine/front/direct-read';
import { notFound } from '../../../engine/front/result-collectors';
import { Opcode } from '../../../engine/layout/batch-layout';
import { Status } from '../../../engine/layout/status';
import { validateOp } from '../../../engine/layout/validate-op';
import { KeyOpReader } from '../../codec/key-op-reader';
import { writeSingleResultFrame } from '../../codec/response-writer';
import type { SharedTables } from './shared-tables';

/** Gate word values (the front writes them: io-thread-host.ts). */
export const gateClosed = 0;
export const gateOpen = 1;

/** The local reads' counts by op kind and outcome (for /status; metrics count them too). */
export const enum LocalCount {
  GetOk = 0,
  GetNotFound,
  HeadOk,
  HeadNotFound,
  Fallbacks,
}
export const localCountSlots = 5;

export class LocalReads {
  readonly #tables: SharedTables;
  readonly #gate: Int32Array;
  readonly #reader = new KeyOpReader();
  readonly counts = new Float64Array(localCountSlots);
  /** Of the last frame answered: a get (else a head), and whether the record was there. */
  lastWasGet = false;
  lastFound = false;

  constructor(tables: SharedTables, gate: SharedArrayBuffer) {
    this.#tables = tables;
    this.#gate = new Int32Array(gate);
  }

  /**
   * The Response frame answering `frame` (a view into a reused buffer: send it before the next
   * call), or null: relay the frame to the front. `readable[namespaceId]` is 1 where the
   * connection's token may read.
   */
  answer(frame: Uint8Array, readable: Uint8Array): Uint8Array | null {
    if (Atomics.load(this.#gate, 0) !== gateOpen) return null;
    const reader = this.#reader;
    if (!reader.read(frame) || reader.count !== 1) return null;
    const op = reader.ops[0]!;
    if (op.op !== 'get' && op.op !== 'head') return null;
    const tables = this.#tables;
    const namespaceId = tables.namespaceId(op.ns);
    if (namespaceId === undefined || readable[namespaceId] !== 1) return null;
    if (validateOp(op, tables.namespaces[namespaceId]) !== Status.Ok) return null;
    const isGet = op.op === 'get';
    const outcome = tables.read(isGet ? Opcode.Get : Opcode.Head, namespaceId, op.key);
    if (outcome === DirectOutcome.FallBack) {
      this.counts[LocalCount.Fallbacks]! += 1;
      return null;
    }
    const hit = outcome === DirectOutcome.Hit;
    this.lastWasGet = isGet;
    this.lastFound = hit;
    this.counts[isGet ? (hit ? LocalCount.GetOk : LocalCount.GetNotFound) : hit ? LocalCount.HeadOk : LocalCount.HeadNotFound]! += 1;
    return writeSingleResultFrame(reader.id, hit ? tables.hit : notFound);
  }
}
