// A node's persistence, on the main thread: the data dir (one server per dir, the history id),
// recovery at start, the feed of the change log to the log-writer thread, the ack gate that holds
// `disk` answers until their LSN is durable, and snapshots (scheduled and on request) after which
// the WAL segments they cover are deleted.
//
// Order of a start: lock the data dir → recover (snapshot, then WAL replay, LSNs continue) → open
// the WAL at the next LSN → subscribe it to the change log → attach the gate → serve. Nothing is
// logged during recovery, and no change reaches the WAL twice: replayed changes are already in it.
//
// After a WAL write or fsync error the node never acknowledges another write (fsyncgate: the
// kernel may have dropped the dirty pages, so retrying the fsync proves nothing): the gate fails
// every held answer and the engine refuses writes with PersistenceFailed; reads go on.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { assert } from '../layout/assert';
import { nodeFileLayer } from '../layout/file-layer';
import { sameHistory } from '../layout/wal-segment-header';
import type { TestOnlyFaults } from '../layout/file-layer';
import { snapshotsKeptDefault } from '../layout/snapshot-format';
import { AckGate } from './ack-gate';
import { ReplicaAckGate } from './replication-ack-gate';
import { DataDir } from './data-dir';
import { dropDivergentTail, type DivergentTailReport, type RejoinPoint } from './divergent-tail';
import type { PersistenceConfig } from './persistence-config';
import type { PersistenceHost } from './persistence-host';
import { recover, type RecoveryProgress, type RecoveryReport } from './recovery';
import { SnapshotClient } from './snapshot-client';
import { SnapshotReader } from './snapshot-reader';
import { takeSnapshot, type SnapshotReport } from './snapshot-taker';
import { WalClient } from './wal-client';
import { WalReader } from './wal-reader';

export const replicaAckTimeoutMsDefault = 2000;

export interface PersistenceStats {
  dataDir: string;
  historyId: string;
  fsync: PersistenceConfig['fsync'];
  state: 'recovering' | 'ready' | 'failed';
  /** Why writes are refused, when state is 'failed'. */
  failure: string | null;
  durableLsn: number;
  writtenLsn: number;
  walBytes: number;
  walSegments: number;
  fsyncs: number;
  /** Recent fsync latencies, µs, oldest first. */
  fsyncLatencyUs: number[];
  lastSnapshot: SnapshotReport | null;
  snapshotsTaken: number;
  snapshotFailures: number;
  recovery: RecoveryReport | null;
}

export interface PersistenceOptions {
  /** Called when the WAL fails for good (the engine starts refusing writes). */
  onFailed(error: Error): void;
  /** Recovery progress, at most every 2 s. */
  onProgress?: RecoveryProgress;
  /** TEST-ONLY: faults injected into the log-writer's file layer. */
  testOnlyFaults?: TestOnlyFaults;
  /** How long a `replica` write waits for replica acks once durable here (front/replication-ack-gate.ts). */
  replicaAckTimeoutMs?: number;
  /** A node rejoining as a replica: where the new primary's history left ours (front/divergent-tail.ts). */
  rejoin?: RejoinPoint;
}

export class Persistence {
  readonly config: PersistenceConfig;
  readonly dataDir: DataDir;
  readonly #host: PersistenceHost;
  readonly #options: PersistenceOptions;
  #wal: WalClient | null = null;
  #snapshots: SnapshotClient | null = null;
  #gate: AckGate | null = null;
  #recovery: RecoveryReport | null = null;
  #lastSnapshot: SnapshotReport | null = null;
  #snapshotsTaken = 0;
  #snapshotFailures = 0;
  #snapshotRunning: Promise<SnapshotReport> | null = null;
  #snapshotTimer: NodeJS.Timeout | null = null;
  /**
   * Start LSNs of the snapshots recovery may use, oldest first (the snapshot writer keeps the newest
   * snapshotsKeptDefault files). The WAL is kept back to the oldest of them: when the newest is found
   * damaged at a start, recovery falls back to the older one and needs the WAL from its LSN.
   */
  readonly #keptSnapshotLsns: number[] = [];
  #unsubscribe: (() => void) | null = null;
  #failure: Error | null = null;
  #closed = false;
  #starting: Promise<RecoveryReport> | null = null;
  /**
   * Replication (wire/server/replication/): the LSN after which a connected replica still needs
   * the WAL (it is catching up from it, or may on a reconnect); segments with later records stay.
   */
  walNeededAfter: (() => number) | null = null;
  /** Holds `replica` answers until replicas acknowledged them; the replication primary advances it. */
  replicaGate: ReplicaAckGate | null = null;
  /** A replica's full sync runs: no WAL, no snapshots of our own until it finishes. */
  #fullSync = false;
  /** What the start cut off a rejoining node's data dir (null: nothing to cut, or not rejoining). */
  divergentTail: DivergentTailReport | null = null;

  /** Takes the data dir's lock at once (throws DataDirLockedError when another process holds it). */
  constructor(host: PersistenceHost, config: PersistenceConfig, options: PersistenceOptions) {
    this.#host = host;
    this.config = config;
    this.#options = options;
    this.dataDir = DataDir.open(config.dataDir);
  }

  get failed(): boolean {
    return this.#failure !== null;
  }

  /** Recovers the data dir's content into the engine, then starts logging. Call once. */
  start(): Promise<RecoveryReport> {
    assert(this.#starting === null, 'persistence started twice');
    this.#starting = this.#start();
    return this.#starting;
  }

  /** Throws when close() came while start() was on its way: what start opened is closed by close(). */
  #stopIfClosed(): void {
    if (this.#closed) throw new Error('the engine was closed while it was recovering its data dir');
  }

  async #start(): Promise<RecoveryReport> {
    const dataDir = this.dataDir;
    // Before recovery: what recovery replays must end where the new primary's history began.
    if (this.#options.rejoin !== undefined) this.divergentTail = dropDivergentTail(dataDir, this.#options.rejoin);
    const { historyId, previousHistoryId } = dataDir.history;
    const report = await recover(this.#host, {
      snapshots: new SnapshotReader({ snapshotDirectory: dataDir.snapshotDirectory, historyId, previousHistoryId }),
      wal: (fromLsn, tailOnly) => new WalReader({ walDirectory: dataDir.walDirectory, fromLsn, historyId, previousHistoryId, readOnly: tailOnly, skipCovered: tailOnly }),
    }, this.#options.onProgress ?? (() => undefined));
    this.#recovery = report;
    if (report.snapshotPath !== null) this.#keptSnapshotLsns.push(report.snapshotLsn);
    this.#stopIfClosed();
    await this.#openWal();
    this.#stopIfClosed();
    this.#snapshots = await SnapshotClient.open({ snapshotDirectory: dataDir.snapshotDirectory });
    this.#stopIfClosed();
    if (this.config.snapshotIntervalSec > 0) {
      this.#snapshotTimer = setInterval(() => void this.snapshot().catch(() => undefined), this.config.snapshotIntervalSec * 1000);
      this.#snapshotTimer.unref();
    }
    return report;
  }

  /** Opens the WAL at the change log's next LSN, feeds it the log, and attaches a fresh ack gate. */
  async #openWal(): Promise<void> {
    const changes = this.#host.changes;
    const wal = await WalClient.open({
      dataDir: this.dataDir.directory,
      historyId: this.dataDir.historyId,
      fsync: this.config.fsync,
      segmentBytes: this.config.walSegmentBytes,
      nextLsn: changes.lastLsn + 1,
      ...(this.#options.testOnlyFaults === undefined ? {} : { testOnlyFaults: this.#options.testOnlyFaults }),
    });
    this.#wal = wal;
    const gate = new AckGate(changes.lastLsn);
    const replicaGate = new ReplicaAckGate(changes.lastLsn, this.#options.replicaAckTimeoutMs ?? replicaAckTimeoutMsDefault);
    this.#gate = gate;
    this.replicaGate = replicaGate;
    wal.onDurable((lsn) => {
      gate.advance(lsn);
      replicaGate.advanceLocal(lsn);
    });
    wal.onFailed((error) => this.#fail(error));
    // The change log has encoded the change in the WAL's own format already: the WAL copies that.
    this.#unsubscribe = changes.subscribe((change) => wal.appendLogged(change.lsn, changes));
    this.#host.attachAckGate(gate, replicaGate);
  }

  // ---- a replica's full sync (front/replication-apply.ts) ----
  // Order, so that a crash at any step leaves a data dir that recovers to a consistent state:
  //   begin: stop the WAL, delete every WAL segment and snapshot, write HISTORY = the primary's id
  //          (a crash now recovers an empty node at LSN 0 of that history: a consistent prefix);
  //   the primary's snapshot is written as this node's own (the snapshot writer), then
  //   finish:  reopen the WAL at the snapshot's LSN + 1 (a crash now recovers snapshot + WAL).

  /** Stops logging and empties the data dir under the primary's history id. Snapshots wait until finishFullSync. */
  async beginFullSync(historyId: Uint8Array): Promise<SnapshotClient> {
    assert(!this.#closed && this.#snapshots !== null, 'full sync on a persistence that is not running');
    this.#fullSync = true;
    await this.#snapshotRunning?.catch(() => undefined);
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.#wal?.close();
    this.#wal = null;
    removeFilesIn(this.dataDir.walDirectory);
    removeFilesIn(this.dataDir.snapshotDirectory);
    this.dataDir.replaceHistory({ historyId, previousHistoryId: null, switchLsn: 0 });
    return this.#snapshots;
  }

  /**
   * A promotion (or a replica following a promoted primary): this node's history continues as
   * `historyId` from `switchLsn` (its first LSN); the current one is remembered as the previous, so
   * its WAL segments and snapshots stay readable and replicas of it can continue without a full sync.
   */
  async switchHistory(historyId: Uint8Array, switchLsn: number): Promise<void> {
    const current = this.dataDir.history;
    if (sameHistory(current.historyId, historyId)) return;
    assert(this.#wal !== null && !this.#fullSync, 'switchHistory on a persistence that is not logging');
    assert(switchLsn === this.#host.changes.lastLsn + 1, 'a history switches at the next LSN');
    // The WAL goes on in a segment of the new history: segments name one history each.
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    await this.#wal.close();
    this.#wal = null;
    this.dataDir.replaceHistory({ historyId, previousHistoryId: current.historyId, switchLsn });
    await this.#openWal();
  }

  /** The snapshot is written and the change log reset to its LSN: log again from there. */
  async finishFullSync(): Promise<void> {
    assert(this.#fullSync && this.#wal === null, 'finishFullSync without beginFullSync');
    // The primary's snapshot, written as this node's own, is now the only one kept.
    this.#keptSnapshotLsns.length = 0;
    this.#keptSnapshotLsns.push(this.#host.changes.lastLsn);
    await this.#openWal();
    this.#fullSync = false;
  }

  /** Resolves when the durable watermark reaches `lsn`; rejects if the WAL fails first. */
  #waitDurable(lsn: number): Promise<void> {
    const gate = this.#gate;
    if (gate === null) return Promise.reject(new Error('persistence is not logging'));
    return new Promise((resolve, reject) => {
      const parked = gate.hold(lsn, { release: (durable) => (durable ? resolve() : reject(new Error('the WAL failed before the snapshot was complete'))) });
      if (!parked) resolve();
    });
  }

  #fail(error: Error): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    this.#gate?.fail();
    this.replicaGate?.fail();
    this.#options.onFailed(error);
  }

  /**
   * Writes a snapshot of every shard, then deletes the WAL segments it covers. A second call while
   * one runs joins it. Rejects if a shard died or the disk failed; the previous snapshot stays.
   */
  snapshot(): Promise<SnapshotReport> {
    if (this.#snapshotRunning !== null) return this.#snapshotRunning;
    const wal = this.#wal;
    const snapshots = this.#snapshots;
    if (wal === null || snapshots === null || this.#closed || this.#fullSync) return Promise.reject(new Error('persistence is not running (or a replica full sync is in progress)'));
    // After a WAL failure the memory may hold writes that were refused: never persist those.
    if (this.#failure !== null) return Promise.reject(new Error(`the WAL failed (${this.#failure.message}): no snapshot until a restart`));
    const running = takeSnapshot(this.#host, snapshots, this.dataDir.historyId, (lsn) => this.#waitDurable(lsn)).then(
      (report) => {
        this.#lastSnapshot = report;
        this.#snapshotsTaken++;
        // Segments wholly covered by the OLDEST kept snapshot go (with one snapshot only, nothing
        // goes: its fallback is the whole WAL), and never what a connected replica still reads.
        const kept = this.#keptSnapshotLsns;
        if (kept[kept.length - 1] !== report.lsn) kept.push(report.lsn);
        if (kept.length > snapshotsKeptDefault) kept.shift();
        if (kept.length === snapshotsKeptDefault) wal.dropBefore(Math.min(kept[0]!, this.walNeededAfter?.() ?? kept[0]!));
        return report;
      },
      (error: unknown) => {
        this.#snapshotFailures++;
        throw error;
      },
    ).finally(() => {
      this.#snapshotRunning = null;
    });
    this.#snapshotRunning = running;
    return running;
  }

  stats(): PersistenceStats {
    const wal = this.#wal?.stats();
    return {
      dataDir: this.dataDir.directory,
      historyId: Buffer.from(this.dataDir.historyId).toString('hex'),
      fsync: this.config.fsync,
      state: this.#failure !== null ? 'failed' : this.#wal === null ? 'recovering' : 'ready',
      failure: this.#failure?.message ?? null,
      durableLsn: this.#gate?.durableLsn ?? 0,
      writtenLsn: wal?.writtenLsn ?? 0,
      walBytes: wal?.walBytes ?? 0,
      walSegments: wal?.segments ?? 0,
      fsyncs: wal?.fsyncs ?? 0,
      fsyncLatencyUs: wal?.fsyncLatencyUs ?? [],
      lastSnapshot: this.#lastSnapshot,
      snapshotsTaken: this.#snapshotsTaken,
      snapshotFailures: this.#snapshotFailures,
      recovery: this.#recovery,
    };
  }

  /** After the engine stopped taking writes: flushes and fsyncs the WAL, stops the threads, unlocks. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // A start still on its way stops at its next step; whatever it opened is closed below, and the
    // data dir's lock goes last, so nothing writes into an unlocked dir.
    await this.#starting?.catch(() => undefined);
    if (this.#snapshotTimer !== null) clearInterval(this.#snapshotTimer);
    await this.#snapshotRunning?.catch(() => undefined);
    this.#unsubscribe?.();
    await this.#wal?.close();
    await this.#snapshots?.close();
    this.dataDir.close();
  }
}

/** Deletes every file in a directory (a full sync's WAL and snapshot dirs), then makes that durable. */
function removeFilesIn(directory: string): void {
  for (const name of fs.readdirSync(directory)) fs.rmSync(path.join(directory, name), { force: true });
  nodeFileLayer.fsyncDirectory(directory);
}
