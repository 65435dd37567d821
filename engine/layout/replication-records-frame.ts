// Builds Records frames (layout/replication-protocol.ts) in one reused buffer: changes from the
// change log are WAL-encoded and sealed here; records read from the WAL are copied as they are
// (already sealed). One frame holds consecutive LSNs only; `take()` copies the frame out once.

import { assert } from './assert';
import { GrowableBytes } from './growable-bytes';
import { MessageType, recordsHeaderBytes, replicationProtocolVersion } from './replication-protocol';
import type { Change } from './types';
import { encodeWalRecord, sealWalRecord } from './wal-record';

export class RecordsFrameBuilder {
  readonly #buffer = new GrowableBytes(256 * 1024);
  #epoch = 0;
  #firstLsn = 0;
  #count = 0;

  /** Records in the frame being built. */
  get count(): number {
    return this.#count;
  }

  /** Bytes of the frame being built. */
  get bytes(): number {
    return this.#buffer.length;
  }

  /** The LSN the next record must have (0 before the first). */
  get nextLsn(): number {
    return this.#count === 0 ? 0 : this.#firstLsn + this.#count;
  }

  /** Starts a new, empty frame. */
  begin(epoch: number): void {
    assert(epoch >>> 0 === epoch, 'epoch is a u32');
    this.#epoch = epoch;
    this.#count = 0;
    this.#firstLsn = 0;
    this.#buffer.length = recordsHeaderBytes;
    this.#buffer.reserve(0);
  }

  #note(lsn: number): void {
    if (this.#count === 0) this.#firstLsn = lsn;
    else assert(lsn === this.#firstLsn + this.#count, `records frame: LSN ${lsn} after ${this.#firstLsn + this.#count - 1}`);
    this.#count++;
  }

  /** Encodes and seals one change. */
  addChange(change: Change): void {
    this.#note(change.lsn);
    const buffer = this.#buffer;
    const start = buffer.length;
    encodeWalRecord(buffer, change);
    sealWalRecord(buffer.u8, buffer.view, start);
  }

  /** Copies one sealed WAL record (bytes[start, start + length)) whose LSN is `lsn`. */
  addSealed(lsn: number, bytes: Uint8Array, start: number, length: number): void {
    assert(length % 8 === 0, 'a WAL record is 8-aligned');
    this.#note(lsn);
    const buffer = this.#buffer;
    buffer.reserve(length);
    buffer.u8.set(bytes.subarray(start, start + length), buffer.length);
    buffer.length += length;
  }

  /** The finished frame (a copy) and an empty builder, or null when no record was added. */
  take(): Uint8Array | null {
    if (this.#count === 0) return null;
    const buffer = this.#buffer;
    const view = buffer.view;
    buffer.u8[0] = MessageType.Records;
    buffer.u8[1] = replicationProtocolVersion;
    view.setUint16(2, 0, true);
    view.setUint32(4, this.#epoch, true);
    view.setFloat64(8, this.#firstLsn, true);
    view.setUint32(16, this.#count, true);
    view.setUint32(20, 0, true);
    const frame = buffer.u8.slice(0, buffer.length);
    this.#count = 0;
    buffer.length = recordsHeaderBytes;
    return frame;
  }
}
