// A replica's side of the replication stream (DESIGN "Durability and replication"), on the main
// thread: it applies a primary's Records frames and full syncs through this node's own shards,
// with the primary's LSNs, and keeps this node's data dir a copy of the primary's history.
//
// A frame's records are applied as apply ops (shard/shard-apply.ts: absolute, journaled as
// replayed, so the shards give them no LSN of their own); once every shard has answered, the
// changes enter the change log with the primary's LSNs, in order. So a change a subscriber (or the
// WAL, which follows the change log) sees is already in the table. The WAL gets the same LSNs, so
// a restarted replica recovers to the primary's position and resumes from memory or WAL there.
//
// Full sync: SnapshotBegin empties the data dir under the primary's history id (persistence.ts
// beginFullSync) and clears every namespace; each chunk is applied and written to this node's own
// snapshot file; SnapshotEnd finishes the file, resets the change log to the snapshot's LSN and
// reopens the WAL after it. Decision: clear the live tables (apply deletes of every key) rather than
// start a new engine: the server, its subscriptions and its uWS app keep their engine.
//
// A replica that cannot trust its position (a full sync cut halfway; a change of its own in the
// change log, which would shift LSNs) says so in its next hello with an all-zero history id, which
// no primary has: it gets a full sync.

import { assert } from '../layout/assert';
import { EntryKind } from '../layout/journal-layout';
import { SyncMode, type Records, type SnapshotBegin, type SnapshotChunk, type SnapshotEnd, type Start } from '../layout/replication-protocol';
import type { Change, NamespaceConfig, ScanOptions, ScanPage } from '../layout/types';
import { historyIdBytes, sameHistory } from '../layout/wal-segment-header';
import { RecordCheck, WalRecordView } from '../layout/wal-record';
import { fillApplyRequest } from './apply-logged-change';
import { ApplyRequest } from './apply-request';
import type { ChangeLog } from './change-log';
import type { Persistence } from './persistence';
import { ApplyCounter } from './recovery';
import type { ResultSink } from './result-sink';
import type { SnapshotClient } from './snapshot-client';
import { forEachSnapshotRecord, snapshotChunkValid } from './snapshot-chunk';

/** Apply ops in flight at most while a frame or chunk is applied. */
const applyWindow = 8192;
/** Keys one scan page of the clearing pass returns. */
const clearPageKeys = 1000;
/** Pages one namespace's clearing pass may take: a loop bound far above any table. */
const clearPagesMax = 1 << 22;

/** What the applier needs from the engine (engine/front/engine.ts implements it). */
export interface ReplicaHost {
  readonly changes: ChangeLog;
  readonly namespaces: readonly NamespaceConfig[];
  readonly persistence: Persistence | null;
  namespaceId(name: string): number | undefined;
  apply(request: ApplyRequest, sink: ResultSink, token: number): void;
  scan(ns: string, options?: ScanOptions): Promise<ScanPage>;
  /** Sizes every shard's index for this many records before a snapshot is loaded (recovery does the same). */
  reserveIndex(records: number): Promise<void>;
}

/** The stream cannot be applied here as it is: the link closes and the next hello asks for a full sync. */
export class ReplicaStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplicaStreamError';
  }
}

interface FullSyncState {
  historyId: Uint8Array;
  lsn: number;
  namespaceIds: number[];
  namespaceCount: number;
  snapshots: SnapshotClient | null;
  chunks: number;
  records: number;
}

export class ReplicaApplier {
  readonly #host: ReplicaHost;
  readonly #request = new ApplyRequest();
  readonly #view = new WalRecordView();
  /** The history this node follows (its data dir's, or a memory node's own until its first full sync). */
  #historyId: Uint8Array;
  #needsFullSync = false;
  #fullSync: FullSyncState | null = null;
  fullSyncs = 0;
  recordsApplied = 0;
  /** Changes a namespace of this node's config did not hold room for (a smaller limit than the primary's). */
  outOfMemory = 0;

  constructor(host: ReplicaHost, memoryHistoryId: Uint8Array) {
    this.#host = host;
    this.#historyId = host.persistence?.dataDir.historyId ?? memoryHistoryId.slice();
    assert(this.#historyId.length === historyIdBytes, 'a history id is 16 bytes');
  }

  /** What the next hello says: this node's position, or an all-zero history when it needs a full sync. */
  position(): { historyId: Uint8Array; lastLsn: number } {
    if (this.#needsFullSync || this.#fullSync !== null) return { historyId: new Uint8Array(historyIdBytes), lastLsn: 0 };
    return { historyId: this.#historyId.slice(), lastLsn: this.#host.changes.lastLsn };
  }

  get historyId(): Uint8Array {
    return this.#historyId.slice();
  }

  /** A full sync is halfway (a promotion now would serve a partial copy). */
  get inFullSync(): boolean {
    return this.#fullSync !== null || this.#needsFullSync;
  }

  /** This node becomes a primary: its own history id from here (a memory node's; the data dir keeps a persisting one's). */
  adoptHistory(historyId: Uint8Array): void {
    this.#historyId = historyId.slice();
  }

  get appliedLsn(): number {
    return this.#host.changes.lastLsn;
  }

  /**
   * Start of a partial sync: the primary's history may be a promotion's continuation of ours
   * (Start names it as the previous): this node takes it on, remembering ours up to the switch.
   */
  async start(message: Start): Promise<void> {
    if (message.mode === SyncMode.Snapshot || sameHistory(message.historyId, this.#historyId)) return;
    const previous = message.previousHistoryId;
    if (previous === null || !sameHistory(previous, this.#historyId) || this.#host.changes.lastLsn >= message.switchLsn) {
      this.#needsFullSync = true;
      throw new ReplicaStreamError('a partial sync of a history this node does not continue');
    }
    await this.#host.persistence?.switchHistory(message.historyId, message.switchLsn);
    this.#historyId = message.historyId.slice();
  }

  /** The link dropped: a full sync cut halfway is started again from scratch. */
  interrupted(): void {
    if (this.#fullSync === null) return;
    this.#needsFullSync = true;
    const snapshots = this.#fullSync.snapshots;
    this.#fullSync = null;
    void snapshots?.abort().catch(() => undefined);
  }

  /** Applies a decoded Records frame (its records were checked by the decoder). */
  async applyRecords(message: Records): Promise<void> {
    const changes = this.#host.changes;
    if (this.#fullSync !== null) throw new ReplicaStreamError('records inside a full sync');
    if (message.firstLsn !== changes.lastLsn + 1) {
      // Behind us: this node holds a change the primary did not send (diverged). Ahead: a hole (reconnect and resume).
      if (message.firstLsn <= changes.lastLsn) this.#needsFullSync = true;
      throw new ReplicaStreamError(`records from LSN ${message.firstLsn}, this node is at ${changes.lastLsn}`);
    }
    const counter = new ApplyCounter();
    const view = this.#view;
    const bytes = message.bytes;
    const logged: Change[] = [];
    let at = message.recordsStart;
    for (let index = 0; index < message.count; index++) {
      assert(view.check(bytes, at, bytes.length) === RecordCheck.Ok, 'a records frame checked by the decoder');
      // Views of the received frame (this applier owns it); the name is decoded once, here.
      const change = view.toChange(false);
      logged.push(change);
      const namespaceId = this.#host.namespaceId(change.ns);
      if (namespaceId !== undefined) {
        fillApplyRequest(this.#request, namespaceId, view);
        counter.pending++;
        this.#host.apply(this.#request, counter, 0);
        if (counter.pending >= applyWindow) await counter.drained();
      }
      at += view.recordBytes;
    }
    await counter.drained();
    this.outOfMemory += counter.outOfMemory;
    for (const change of logged) {
      // A change of this node's own (a shard's lazy expiry) would have taken the LSN: diverged.
      if (changes.lastLsn + 1 !== change.lsn) {
        this.#needsFullSync = true;
        throw new ReplicaStreamError(`the change log is at ${changes.lastLsn}, the stream at ${change.lsn}: diverged, a full sync follows`);
      }
      changes.append(change);
    }
    this.recordsApplied += message.count;
  }

  /** SnapshotBegin: empties this node (data dir and tables) under the primary's history. */
  async beginFullSync(message: SnapshotBegin): Promise<void> {
    if (this.#fullSync !== null) throw new ReplicaStreamError('a snapshot inside a snapshot');
    this.#needsFullSync = true;
    const persistence = this.#host.persistence;
    const snapshots = persistence === null ? null : await persistence.beginFullSync(message.historyId);
    this.#historyId = message.historyId.slice();
    await this.#clearAll();
    // Snapshot records arrive in table-hash order: into an index too small they pile into one
    // growing probe run, quadratic (recovery measured 253 s for 1M records unsized, 3.6 s sized;
    // a 1M-record full sync here crawled at ~500 records/s before this).
    await this.#host.reserveIndex(message.records);
    snapshots?.begin({ historyId: message.historyId, startLsn: message.lsn, namespaces: message.namespaces });
    const namespaceIds = message.namespaces.map((name) => this.#host.namespaceId(name) ?? -1);
    this.#fullSync = { historyId: message.historyId, lsn: message.lsn, namespaceIds, namespaceCount: message.namespaces.length, snapshots, chunks: 0, records: 0 };
  }

  async applyChunk(message: SnapshotChunk): Promise<void> {
    const sync = this.#fullSync;
    if (sync === null) throw new ReplicaStreamError('a snapshot chunk outside a snapshot');
    if (!snapshotChunkValid(message.chunk, sync.namespaceCount, message.records)) throw new ReplicaStreamError('a malformed snapshot chunk');
    const counter = new ApplyCounter();
    forEachSnapshotRecord(message.chunk, sync.namespaceIds, this.#request, () => {
      counter.pending++;
      this.#host.apply(this.#request, counter, 0);
    });
    sync.snapshots?.addChunk(message.chunk, message.records);
    sync.chunks++;
    sync.records += message.records;
    await counter.drained();
    this.outOfMemory += counter.outOfMemory;
  }

  /** SnapshotEnd: the snapshot file is made durable, then the change log and WAL continue at its LSN. */
  async finishFullSync(message: SnapshotEnd): Promise<void> {
    const sync = this.#fullSync;
    if (sync === null) throw new ReplicaStreamError('a snapshot end outside a snapshot');
    if (message.lsn !== sync.lsn || message.chunks !== sync.chunks) throw new ReplicaStreamError(`snapshot end says LSN ${message.lsn} / ${message.chunks} chunks, received ${sync.lsn} / ${sync.chunks}`);
    await sync.snapshots?.finish();
    this.#host.changes.resetTo(sync.lsn);
    await this.#host.persistence?.finishFullSync();
    this.#fullSync = null;
    this.#needsFullSync = false;
    this.fullSyncs++;
  }

  /** Removes every record of every namespace with apply deletes (journaled as replayed: no LSN). */
  async #clearAll(): Promise<void> {
    const request = this.#request;
    for (const namespace of this.#host.namespaces) {
      const namespaceId = this.#host.namespaceId(namespace.name)!;
      let cursor: string | null | undefined;
      for (let pages = 0; pages < clearPagesMax && cursor !== null; pages++) {
        const page = await this.#host.scan(namespace.name, { values: false, limit: clearPageKeys, ...(cursor === undefined ? {} : { cursor }) });
        const counter = new ApplyCounter();
        for (const record of page.records) {
          const key = record.key;
          request.namespaceId = namespaceId;
          request.kind = EntryKind.Delete;
          request.source = key;
          request.keyStart = 0;
          request.keyLength = key.length;
          request.contentTypeStart = 0;
          request.contentTypeLength = 0;
          request.valueStart = 0;
          request.valueLength = 0;
          request.tagsStart = 0;
          request.tagsLength = 0;
          counter.pending++;
          this.#host.apply(request, counter, 0);
        }
        await counter.drained();
        cursor = page.cursor;
      }
    }
  }
}

