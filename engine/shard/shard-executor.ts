// The code that runs inside a shard thread and owns its table (invariant 1): it applies batches of
// ops, journals every change before the index changes (invariant 3), and on start replays the
// journal tail a dead predecessor committed but had not applied (invariant 2, shard-recovery.ts).
// This file runs the key ops; scans (shard-scan.ts), the expiry sweep (shard-sweep.ts) and
// eviction (shard-eviction.ts) are parts of their own over the same ShardState.

import { fail } from '../layout/assert';
import {
  controlOpArgumentByte,
  controlOpBytes,
  opBytesByte,
  Opcode,
  resultFlagCreated,
  testCrashExitAfterNextJournalAppend,
  testCrashExitNow,
  testCrashThrowUncaught,
} from '../layout/batch-layout';
import { exitCodeInternalError } from '../layout/exit-codes';
import { EntryKind } from '../layout/journal-layout';
import { PutModeCode } from '../layout/batch-layout';
import type { ShardOptions } from '../layout/shard-options';
import { classOf, classSizes } from '../layout/size-classes';
import { Status } from '../layout/status';
import { recordBytesOf } from '../layout/table-layout';
import { ApplyOp } from './apply-op';
import { applyChange } from './shard-apply';
import { applyRecords } from './shard-apply-records';
import { evictFor, type EvictionRequest } from './shard-eviction';
import { recoverShard } from './shard-recovery';
import { scanSlice } from './shard-scan';
import { tagKeys } from './shard-tag-keys';
import { KeyOp } from './key-op';
import { ShardState } from './shard-state';
import { sweepShard } from './shard-sweep';
import type { ShardTable } from './shard-table';

export { scanSliceBytesMax, scanSlotsPerSlice } from './shard-scan';

export class ShardExecutor {
  readonly #state: ShardState;
  readonly #op = new KeyOp();
  readonly #applyOp = new ApplyOp();
  readonly #eviction: EvictionRequest = { namespaceId: 0, growthBytes: 0, budgetBytes: 0, protectedSlot: -1 };
  /** The batch being run and its u32 view (its length is a multiple of 4: ops are padded). */
  #bytes = new Uint8Array(0);
  #words = new Uint32Array(0);
  #view = new DataView(new ArrayBuffer(0));

  constructor(options: ShardOptions) {
    this.#state = new ShardState(options);
  }

  get table(): ShardTable {
    return this.#state.table;
  }

  /** Attach-time check and replay. Returns how many journal entries were re-applied. */
  recover(): number {
    return recoverShard(this.#state);
  }

  runBatch(buffer: ArrayBuffer): ArrayBuffer {
    const bytes = new Uint8Array(buffer);
    const view = new DataView(buffer);
    this.#bytes = bytes;
    this.#words = new Uint32Array(buffer);
    this.#view = view;
    this.#state.readClock();
    let position = 0;
    while (position < bytes.length) {
      const opBytes = view.getUint32(position + opBytesByte, true);
      if (opBytes < controlOpBytes || opBytes % 4 !== 0 || position + opBytes > bytes.length) fail(`op at ${position} of ${opBytes} bytes overruns the batch`);
      this.#runOp(position);
      position += opBytes;
    }
    return this.#state.results.take();
  }

  #runOp(position: number): void {
    const bytes = this.#bytes;
    switch (bytes[position] as Opcode) {
      case Opcode.Get:
        return this.#read(this.#op.read(bytes, this.#view, position), true);
      case Opcode.Head:
        return this.#read(this.#op.read(bytes, this.#view, position), false);
      case Opcode.Put:
        return this.#put(this.#op.read(bytes, this.#view, position));
      case Opcode.Delete:
        return this.#delete(this.#op.read(bytes, this.#view, position));
      case Opcode.Touch:
        return this.#touch(this.#op.read(bytes, this.#view, position));
      case Opcode.Apply:
        return applyChange(this.#state, this.#applyOp.read(bytes, this.#view, position), bytes, this.#words);
      case Opcode.ApplyRecords:
        return applyRecords(this.#state, bytes, this.#view, this.#words, position);
      case Opcode.Scan:
        return scanSlice(this.#state, bytes, this.#view, position);
      case Opcode.TagKeys:
        return tagKeys(this.#state, bytes, this.#view, position);
      case Opcode.Sweep:
        return sweepShard(this.#state, this.#view.getUint32(position + controlOpArgumentByte, true));
      case Opcode.ReserveIndex:
        return this.#state.results.writeStatus(this.#state.table.reserveIndexSlot(this.#view.getUint32(position + controlOpArgumentByte, true)) ? Status.Ok : Status.OutOfMemory);
      case Opcode.TestCrash:
        return this.#testCrash(this.#view.getUint32(position + controlOpArgumentByte, true));
      default:
        fail(`batch op with unknown opcode ${bytes[position]}`);
    }
  }

  /** The live record's index slot for the op's key, or -1; removes the record if it has expired. */
  #findLive(op: KeyOp): number {
    const state = this.#state;
    const table = state.table;
    const slot = table.find(op.namespaceId, this.#bytes, op.keyStart, op.keyLength, op.hash);
    if (slot < 0) return -1;
    const record = table.slotRecord(slot);
    if (!state.isExpired(record)) return slot;
    // The table keeps the insert position across removing the found slot: no second find.
    if (!state.follower && state.hasRoomForKeyChange(record)) {
      state.countRemoval(record, EntryKind.Expired);
      state.removeCommitted(slot, record, EntryKind.Expired);
    }
    return -1;
  }

  #read(op: KeyOp, withValue: boolean): void {
    const slot = this.#findLive(op);
    const results = this.#state.results;
    if (slot < 0) return results.writeStatus(Status.NotFound);
    const table = this.#state.table;
    const record = table.slotRecord(slot);
    table.touchLru(record);
    results.writeRecord(Status.Ok, 0, table, record, withValue);
  }

  #put(op: KeyOp): void {
    const state = this.#state;
    const table = state.table;
    const results = state.results;
    const namespace = state.namespaces[op.namespaceId];
    if (namespace === undefined) return results.writeStatus(Status.UnknownNamespace);
    if (!table.reserveIndexSlot()) return results.writeStatus(Status.OutOfMemory);
    const slot = this.#findLive(op);
    const existing = slot < 0 ? 0 : table.slotRecord(slot);
    const mode = op.putMode;
    if (mode === PutModeCode.Create && existing !== 0) return results.writeRecord(Status.AlreadyExists, 0, table, existing, false);
    if (mode === PutModeCode.Update && existing === 0) return results.writeStatus(Status.NotFound);
    const ifGeneration = op.ifGeneration;
    if (ifGeneration !== 0) {
      if (existing === 0) return results.writeStatus(Status.NotFound);
      if (table.recordGeneration(existing) !== ifGeneration) return results.writeRecord(Status.GenerationMismatch, 0, table, existing, false);
    }
    const recordBytes = recordBytesOf(op.keyLength, op.contentTypeLength, op.valueLength);
    const growthBytes = classSizes[classOf(recordBytes)]! - (existing === 0 ? 0 : table.recordSlotBytes(existing));
    if (table.namespaceBytes(op.namespaceId) + growthBytes > namespace.budgetBytes && !this.#evict(op, growthBytes, slot)) {
      return results.writeStatus(Status.OutOfMemory);
    }
    if (!state.journal.hasRoomFor(op.keyLength, op.contentTypeLength, op.valueLength, op.tagsLength)) return results.writeStatus(Status.Busy);
    const offset = table.allocate(recordBytes);
    if (offset === 0) return results.writeStatus(Status.OutOfMemory);
    // allocate may have grown the buffer: the slot and record offsets stay valid (nothing moves).
    const fields = state.fields;
    fields.kind = EntryKind.Put;
    fields.namespaceId = op.namespaceId;
    fields.generation = existing === 0 ? 1 : (table.recordGeneration(existing) % 0xffffffff) + 1;
    fields.expiry = state.expiryFor(op.ttlSec, namespace);
    fields.lastModified = state.stamps.next(state.nowMs);
    state.runs.from(this.#bytes, this.#words).contiguous(op.keyStart, op.keyLength, op.contentTypeLength, op.valueLength).tags(op.tagsStart, op.tagsLength);
    state.installRecord(offset, slot, existing, op.hash, 0);
    state.tags.afterPut(this.#bytes, op);
    results.writeRecord(Status.Ok, existing === 0 ? resultFlagCreated : 0, table, offset, false);
  }

  /** Makes room in a cache namespace; false for a store namespace or when nothing can go. */
  #evict(op: KeyOp, growthBytes: number, protectedSlot: number): boolean {
    const namespace = this.#state.namespaces[op.namespaceId]!;
    if (!namespace.evicts) return false;
    const request = this.#eviction;
    request.namespaceId = op.namespaceId;
    request.growthBytes = growthBytes;
    request.budgetBytes = namespace.budgetBytes;
    request.protectedSlot = protectedSlot;
    return evictFor(this.#state, request);
  }

  #delete(op: KeyOp): void {
    const state = this.#state;
    const results = state.results;
    const slot = this.#findLive(op);
    if (slot < 0) return results.writeStatus(Status.NotFound);
    const table = state.table;
    const record = table.slotRecord(slot);
    if (op.ifGeneration !== 0 && table.recordGeneration(record) !== op.ifGeneration) {
      return results.writeRecord(Status.GenerationMismatch, 0, table, record, false);
    }
    if (!state.hasRoomForKeyChange(record)) return results.writeStatus(Status.Busy);
    results.writeRecord(Status.Ok, 0, table, record, false);
    state.removeCommitted(slot, record, EntryKind.Delete);
  }

  #touch(op: KeyOp): void {
    const state = this.#state;
    const results = state.results;
    const namespace = state.namespaces[op.namespaceId];
    if (namespace === undefined) return results.writeStatus(Status.UnknownNamespace);
    const slot = this.#findLive(op);
    if (slot < 0) return results.writeStatus(Status.NotFound);
    const table = state.table;
    const record = table.slotRecord(slot);
    if (!state.hasRoomForKeyChange(record)) return results.writeStatus(Status.Busy);
    const fields = state.fieldsOf(EntryKind.Touch, record);
    fields.expiry = state.expiryFor(op.ttlSec, namespace);
    state.commit(fields, state.keyRunsOf(record));
    table.setExpiry(record, fields.expiry);
    state.markApplied();
    results.writeRecord(Status.Ok, 0, table, record, false);
  }

  #testCrash(mode: number): void {
    if (mode === testCrashExitNow) process.exit(exitCodeInternalError);
    if (mode === testCrashExitAfterNextJournalAppend) this.#state.crashAfterNextAppend = true;
    if (mode === testCrashThrowUncaught) {
      queueMicrotask(() => {
        throw new Error('test crash: uncaught exception in a shard thread');
      });
    }
    this.#state.results.writeStatus(Status.Ok);
  }
}
