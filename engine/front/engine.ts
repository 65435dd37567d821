// The engine's front half, on the main thread: validates ops, maps each key to its shard, hands
// every shard one batch per event-loop turn, drains the shards' journals into the one ordered
// change log, and coordinates scans. It never writes a table (the owner/coordinator split).

import { join } from 'node:path';
import { assert, fail } from '../layout/assert';
import { applyOpBytes, applyRecordsOpBytes, Opcode, scanFlagAfterWholeHash, scanFlagHasAfter, scanFlagValues, scanOpBytes, controlOpBytes, keyOpBytes } from '../layout/batch-layout';
import { testCrashExitAfterNextJournalAppend, testCrashExitNow, testCrashThrowUncaught, type ControlOpcode } from '../layout/batch-layout';
import { allocateControl, controlSlotClockOverrideMs, controlSlotFollower } from '../layout/control-layout';
import { keyHash } from '../layout/hash';
import { allocateJournal } from '../layout/journal-layout';
import { scanLimitDefault, scanLimitMax } from '../layout/limits';
import { PartitionMap } from '../layout/partition-map';
import type { ShardNamespaceOptions } from '../layout/shard-options';
import { Status, StatusError } from '../layout/status';
import { headerBytes } from '../layout/table-layout';
import { allocateTableBuffer, tableBytesMax, TableReader } from '../layout/table-reader';
import type { EngineStats, Key, NamespaceConfig, Op, OpResult, ScanOptions, ScanPage } from '../layout/types';
import type { AckGate, AnswerGate } from './ack-gate';
import { ApplyRequest } from './apply-request';
import { ChangeLog } from './change-log';
import { Persistence, type PersistenceStats } from './persistence';
import type { PersistenceHost } from './persistence-host';
import type { SnapshotReport } from './snapshot-taker';
import { normalizeEngineConfig, type EngineConfig, type EngineConfigInput } from './config';
import { DirectOutcome, DirectRead, type DirectReadSources } from './direct-read';
import type { EngineApi, EngineOpenOptions, EngineTestHooks, TaggedKeys } from './engine-api';
import { engineStats, shardCounters, type ShardCounters, type StatsSources } from './engine-stats';
import { JournalDrain } from './journal-drain';
import { OpBatcher } from './op-batcher';
import type { OpRequest } from './op-request';
import { OpShortcuts } from './op-shortcuts';
import type { ScanSliceRequest } from './op-writer';
import { notFound, ScanCollector, statusView, sweepRecordsRemoved } from './result-collectors';
import type { ResultSink, ResultView } from './result-sink';
import { askTaggedKeys } from './tag-keys-payload';
import { decodeScanCursor, encodeScanCursor, type ScanPosition } from './scan-cursor';
import { mergeScanSlices, scanEnd, type ScanSlice } from './scan-merge';
import { ShardLink } from './shard-link';
import { snapshotChunkOwner } from './snapshot-chunk';

const encoder = new TextEncoder();
/** Index slots a periodic sweep examines per shard per tick. */
const sweepSlotsPerTick = 4096;
/** Journal ring per shard: at least this, and room for four of the largest possible entries. */
const journalBytesMin = 32 * 1024 * 1024;
/** Bytes of keys and values the in-memory change log retains at most. */
const changeLogBytesMaxDefault = 256 * 1024 * 1024;

/** The shard module each ShardLink runs in its thread (a file name, not an import: front/ never loads shard/). */
const shardWorkerFilename = join(__dirname, '..', 'shard', 'shard-worker.js');

export class Engine extends OpShortcuts implements EngineApi, PersistenceHost {
  readonly config: EngineConfig;
  readonly namespaces: readonly NamespaceConfig[];
  readonly changes: ChangeLog;
  readonly #namespaceIds = new Map<string, number>();
  readonly #partitions: PartitionMap;
  readonly #links: ShardLink[];
  readonly #drains: JournalDrain[];
  /** Per shard: a read-only view of its table (stats); only the shard thread writes it. */
  readonly #tables: TableReader[];
  /** Per shard, when config.directReads: the main thread's reader of that shard's table. */
  readonly #directReads: DirectRead[] | null;
  readonly #control: Float64Array;
  /** The Promise API over submit(): validates and encodes each op once. */
  readonly #batcher = new OpBatcher(this);
  #sweepTimer: NodeJS.Timeout | null = null;
  #closed = false;
  /** Per namespace: 0 answered when applied; 1 once durable (`disk`); 2 once durable and replicated (`replica`). */
  readonly #durableAcks: Uint8Array;
  /** Ok, or why ops are refused before they reach a shard: Recovering (all ops), PersistenceFailed (writes). */
  #refusal: Status = Status.Ok;
  #persistence: Persistence | null = null;
  /** Resolves when recovery is done (at once for a node without persistence); rejects if it failed. */
  ready: Promise<void> = Promise.resolve();
  readonly applyRequest = new ApplyRequest();

  static async open(input: EngineConfigInput = {}, options: EngineOpenOptions = {}): Promise<Engine> {
    const engine = new Engine(normalizeEngineConfig(input));
    // A no-op batch per shard: resolves when every thread has attached and recovered.
    await Promise.all(engine.#links.map((_, shard) => engine.#sweepShard(shard, 0)));
    const persistenceConfig = engine.config.persistence;
    if (persistenceConfig !== false) {
      try {
        engine.#persistence = new Persistence(engine, persistenceConfig, {
          onFailed: (error) => {
            engine.#refusal = Status.PersistenceFailed;
            options.onPersistenceFailed?.(error);
          },
          ...(options.onRecoveryProgress === undefined ? {} : { onProgress: options.onRecoveryProgress }),
          ...(options.testOnlyWalFaults === undefined ? {} : { testOnlyFaults: options.testOnlyWalFaults }),
          replicaAckTimeoutMs: engine.config.replicaAckTimeoutMs,
          ...(options.rejoin === undefined ? {} : { rejoin: options.rejoin }),
        });
      } catch (error: unknown) {
        await engine.close();
        throw error;
      }
      engine.#refusal = Status.Recovering;
      engine.ready = engine.#persistence.start().then(() => {
        if (engine.#refusal === Status.Recovering) engine.#refusal = Status.Ok;
      });
      if (options.awaitRecovery !== false) {
        try {
          await engine.ready;
        } catch (error: unknown) {
          await engine.close();
          throw error;
        }
      }
    }
    return engine;
  }

  private constructor(config: EngineConfig) {
    super();
    this.config = config;
    this.namespaces = config.namespaces;
    this.changes = new ChangeLog(config.changeLogCapacity, changeLogBytesMaxDefault);
    config.namespaces.forEach((namespace, id) => this.#namespaceIds.set(namespace.name, id));
    this.#partitions = new PartitionMap(config.shards);
    const controlBuffer = allocateControl();
    this.#control = new Float64Array(controlBuffer);
    const shardNamespaces: ShardNamespaceOptions[] = config.namespaces.map((namespace) => ({
      budgetBytes: Math.floor(namespace.memoryLimitBytes / config.shards),
      evicts: namespace.mode === 'cache',
      defaultTtlSec: namespace.defaultTtlSec,
    }));
    const recordBytesMax = Math.max(...config.namespaces.map((n) => n.maxKeyBytes + n.maxValueBytes)) + 512;
    let journalBytes = journalBytesMin;
    while (journalBytes < 4 * recordBytesMax) journalBytes *= 2;
    // Reserve address space for the budgets plus slab slack and the index; physical pages come on
    // use. A growable SharedArrayBuffer is capped at 4 GiB in Node 20.
    const budgetBytes = shardNamespaces.reduce((sum, namespace) => sum + namespace.budgetBytes, 0);
    const reserveBytes = Math.min(tableBytesMax, headerBytes + Math.ceil(budgetBytes * 1.6) + 64 * 1024 * 1024);
    const names = config.namespaces.map((namespace) => namespace.name);
    this.#links = [];
    this.#drains = [];
    this.#tables = [];
    for (let shardIndex = 0; shardIndex < config.shards; shardIndex++) {
      const tableBuffer = allocateTableBuffer(reserveBytes);
      const journalBuffer = allocateJournal(journalBytes);
      const drain = new JournalDrain(journalBuffer, this.changes, names);
      this.#drains.push(drain);
      this.#tables.push(new TableReader(tableBuffer));
      this.#links.push(new ShardLink(
        { shardIndex, tableBuffer, journalBuffer, controlBuffer, namespaces: shardNamespaces },
        shardWorkerFilename,
        () => {
          drain.drain();
          return this.changes.lastLsn;
        },
      ));
    }
    this.#directReads = config.directReads ? this.#links.map((link, shard) => new DirectRead(this.#tables[shard]!, link.options.journalBuffer, controlBuffer)) : null;
    this.#durableAcks = Uint8Array.from(config.namespaces, (namespace) => (config.persistence === false || namespace.ack === 'memory' ? 0 : namespace.ack === 'disk' ? 1 : 2));
    if (config.sweepIntervalMs > 0) {
      // No sweep while recovering: its `expired` changes would take LSNs in the middle of the replay.
      const sweep = (): void => {
        if (this.#refusal !== Status.Recovering && this.#refusal !== Status.ReadOnly) this.#links.forEach((_, shard) => void this.#sweepShard(shard, sweepSlotsPerTick));
      };
      this.#sweepTimer = setInterval(sweep, config.sweepIntervalMs);
      this.#sweepTimer.unref();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  namespaceId(name: string): number | undefined {
    return this.#namespaceIds.get(name);
  }

  get shardCount(): number {
    return this.#links.length;
  }

  // ---- the low-level path: no validation, no per-op objects (callers validated) ----

  /**
   * Routes one key op to its shard: the one entry every caller uses (batch(), the server, the
   * engine benchmark). The request may be reused as soon as this returns. The sink's
   * onResult(token, result) runs when the shard's batch returns, or at once for a direct read.
   */
  submit(request: OpRequest, sink: ResultSink, token: number): void {
    if (this.#closed) return sink.onResult(token, null);
    const opcode = request.opcode;
    if (this.#refusal !== Status.Ok && (this.#refusal === Status.Recovering || (opcode !== Opcode.Get && opcode !== Opcode.Head))) {
      return sink.onResult(token, statusView(this.#refusal));
    }
    const keySource = request.keySource;
    const hash = keyHash(request.namespaceId, keySource, request.keyStart, request.keyLength);
    const shard = this.#partitions.shardOfKey(keySource, request.keyStart, request.keyLength);
    const link = this.#links[shard]!;
    if (opcode === Opcode.Get || opcode === Opcode.Head) {
      if (this.#directReads !== null && !link.hasPendingWrite(hash)) {
        const namespace = this.namespaces[request.namespaceId];
        if (namespace === undefined) fail(`direct read in namespace id ${request.namespaceId}`);
        const direct = this.#directReads[shard]!;
        const outcome = direct.read(request, hash, namespace);
        if (outcome === DirectOutcome.Hit) return sink.onResult(token, direct);
        if (outcome === DirectOutcome.Miss) return sink.onResult(token, notFound);
      }
    }
    const opBytes = keyOpBytes(request.keyLength, request.contentType?.length ?? 0, request.value?.length ?? 0, request.tags?.length ?? 0);
    link.writerFor(opBytes).writeKeyOp(request, hash);
    if (opcode !== Opcode.Get && opcode !== Opcode.Head) link.noteWrite(hash, this.#durableAcks[request.namespaceId]!);
    link.enqueue(sink, token);
  }

  /**
   * Routes a change made elsewhere to the shard that owns its key, to be applied as it is (the
   * WAL and snapshots at recovery; later a primary's stream). Never served from shared memory,
   * never validated again: the change was validated where it was made. `readsRefused`: while every
   * op answers Recovering no direct read can overtake it: not tracked as a pending write (8 % of a replay).
   */
  apply(request: ApplyRequest, sink: ResultSink, token: number, readsRefused = false): void {
    assert(!readsRefused || this.#refusal === Status.Recovering, 'apply: reads are refused only while recovering');
    const source = request.source;
    const hash = keyHash(request.namespaceId, source, request.keyStart, request.keyLength);
    const link = this.#links[this.#partitions.shardOfKey(source, request.keyStart, request.keyLength)]!;
    link.writerFor(applyOpBytes(request.keyLength, request.contentTypeLength, request.valueLength, request.tagsLength)).writeApply(request, hash);
    if (!readsRefused) link.noteWrite(hash, 0);
    link.enqueue(sink, token);
  }

  /** Recovery: a snapshot chunk whose keys one shard owns goes to it whole, as one op (shard/shard-apply-records.ts); else false. */
  applyChunk(chunk: Uint8Array, namespaceId: number, sink: ResultSink, token: number): boolean {
    assert(this.#refusal === Status.Recovering, 'applyChunk: only while recovering (no pending-write tracking)');
    const shard = snapshotChunkOwner(chunk, this.#partitions);
    if (shard < 0) return false;
    this.#links[shard]!.writerFor(applyRecordsOpBytes(chunk.length)).writeApplyRecords(namespaceId, chunk);
    this.#links[shard]!.enqueue(sink, token);
    return true;
  }

  // ---- the in-process API ----

  batch(ops: readonly Op[]): Promise<OpResult[]> {
    return this.#batcher.batch(ops);
  }

  async scan(ns: string, options: ScanOptions = {}): Promise<ScanPage> {
    const namespaceId = this.#namespaceIds.get(ns);
    if (namespaceId === undefined) throw new StatusError(Status.UnknownNamespace);
    const namespace = this.namespaces[namespaceId]!;
    const limit = options.limit ?? scanLimitDefault;
    if (!Number.isInteger(limit) || limit < 1 || limit > scanLimitMax) throw new StatusError(Status.InvalidArgument, `scan limit must be 1..${scanLimitMax}`);
    const prefix = options.prefix === undefined ? new Uint8Array(0) : typeof options.prefix === 'string' ? encoder.encode(options.prefix) : options.prefix;
    if (prefix.length > namespace.maxKeyBytes) throw new StatusError(Status.KeyTooLarge);
    const after: ScanPosition | null = options.cursor === undefined ? null : decodeScanCursor(options.cursor, namespaceId, namespace.maxKeyBytes);
    if (this.#closed) throw new StatusError(Status.ShuttingDown);
    if (this.#refusal === Status.Recovering) throw new StatusError(Status.Recovering);
    const flags = (options.values === false ? 0 : scanFlagValues) | (after === null ? 0 : scanFlagHasAfter) | (after !== null && after.key === null ? scanFlagAfterWholeHash : 0);
    const slice: ScanSliceRequest = { namespaceId, prefix, limit, flags, afterHash: after?.hash ?? 0, afterKey: after?.key ?? new Uint8Array(0) };
    const slices = await new Promise<(ScanSlice | null)[]>((resolve) => {
      const collector = new ScanCollector(this.#links.length, resolve);
      // A scan visits every shard: pages are in (table hash, key) order, which no partition follows.
      this.#links.forEach((link, shard) => {
        link.writerFor(scanOpBytes(prefix.length, slice.afterKey.length)).writeScan(slice);
        link.enqueue(collector, shard);
      });
    });
    const complete: ScanSlice[] = [];
    for (const slice of slices) {
      if (slice === null) throw new StatusError(Status.ShardUnavailable);
      complete.push(slice);
    }
    const { records, end } = mergeScanSlices(complete, limit);
    const done = end.hash === scanEnd.hash && end.key === null;
    return {
      records: records.map(({ hash: _hash, ...record }) => record),
      cursor: done ? null : encodeScanCursor(namespaceId, end),
    };
  }

  /** Per shard: up to limit keys of ns carrying tag (oldest tagging first), and how many carry it. */
  async taggedKeys(ns: string, tag: string, limit: number): Promise<TaggedKeys[]> {
    const namespaceId = this.#namespaceIds.get(ns);
    if (namespaceId === undefined) throw new StatusError(Status.UnknownNamespace);
    if (this.#closed) throw new StatusError(Status.ShuttingDown);
    return askTaggedKeys(this.#links, namespaceId, tag, limit);
  }

  // ---- persistence (PersistenceHost) ----

  scanSlice(shard: number, request: ScanSliceRequest): Promise<Uint8Array | null> {
    const link = this.#links[shard];
    if (link === undefined) throw new RangeError(`no shard ${shard}`);
    return new Promise((resolve) => {
      link.writerFor(scanOpBytes(request.prefix.length, request.afterKey.length)).writeScan(request);
      link.enqueue({ onResult: (_token, result) => resolve(result === null || result.status !== Status.Ok ? null : result.valueView().slice()) }, 0);
    });
  }

  async reserveIndex(records: number): Promise<void> {
    // Keys spread over the shards by hash: an eighth more than the even share covers the unevenness.
    const perShard = Math.min(2 ** 31, Math.ceil((records / this.#links.length) * 1.125));
    await Promise.all(this.#links.map((_, shard) => this.#controlOp(shard, Opcode.ReserveIndex, perShard, () => undefined)));
  }

  attachAckGate(gate: AckGate, replicaGate: AnswerGate | null = null): void {
    for (const link of this.#links) [link.ackGate, link.replicaGate] = [gate, replicaGate];
  }

  /** Writes a snapshot now (`tessera snapshot`, POST /v1/admin/snapshot). */
  snapshot(): Promise<SnapshotReport> {
    if (this.#persistence === null) return Promise.reject(new StatusError(Status.InvalidArgument, 'this node does not persist (no data dir)'));
    return this.#persistence.snapshot();
  }

  /** Replication (front/replication-*.ts): this node's persistence, null without a data dir. */
  get persistence(): Persistence | null { return this.#persistence; }
  /** A replica: writes answer ReadOnly, reads go on, no expiry sweep (the primary's expiries arrive). */
  setReadOnly(on: boolean): void {
    if (this.#refusal === Status.Ok || this.#refusal === Status.ReadOnly) this.#refusal = on ? Status.ReadOnly : Status.Ok;
    this.#control[controlSlotFollower] = on ? 1 : 0;
  }
  /** No op queued, in flight or held for an ack on any shard (a coordinated failover waits for it). */
  get idle(): boolean { return this.#links.every((link) => link.idle); }

  /** The data dir, WAL, snapshot and recovery figures; null for a node without persistence. */
  persistenceStats(): PersistenceStats | null {
    return this.#persistence?.stats() ?? null;
  }

  /** Sends a keyless op to one shard; resolves with what `read` makes of its result (null if the shard died). */
  #controlOp<T>(shard: number, opcode: ControlOpcode, argument: number, read: (result: ResultView | null) => T): Promise<T> {
    const link = this.#links[shard];
    if (link === undefined) throw new RangeError(`no shard ${shard}`);
    return new Promise((resolve) => {
      link.writerFor(controlOpBytes).writeControl(opcode, argument);
      link.enqueue({ onResult: (_token, result) => resolve(read(result)) }, 0);
    });
  }

  /** Runs one expiry sweep slice on a shard (the timer calls this; tests may too). Returns removals. */
  #sweepShard(shard: number, slots: number): Promise<number> {
    return this.#controlOp(shard, Opcode.Sweep, slots, sweepRecordsRemoved);
  }

  /** Sweeps every shard's whole index once. Returns the number of expired records removed. */
  async sweepAll(): Promise<number> {
    const counts = await Promise.all(this.#tables.map((table, shard) => this.#sweepShard(shard, table.indexCapacity)));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  readonly testing: EngineTestHooks = {
    setClockMs: (ms: number) => {
      this.#control[controlSlotClockOverrideMs] = ms;
    },
    crashShard: async (shardIndex: number, how: 'exit' | 'exitAfterNextAppend' | 'throw') => {
      const mode = how === 'exit' ? testCrashExitNow : how === 'throw' ? testCrashThrowUncaught : testCrashExitAfterNextJournalAppend;
      await this.#controlOp(shardIndex, Opcode.TestCrash, mode, () => undefined);
    },
  };

  /** The shard that owns a key (tests use it to aim at one shard). */
  shardOf(ns: string, key: Key): number {
    const namespaceId = this.#namespaceIds.get(ns);
    if (namespaceId === undefined) throw new StatusError(Status.UnknownNamespace);
    const bytes = typeof key === 'string' ? encoder.encode(key) : key;
    return this.#partitions.shardOfKey(bytes, 0, bytes.length);
  }

  stats(): EngineStats {
    return engineStats(this.#statsSources(), this.changes.lastLsn);
  }

  /** Per-shard counters for /metrics and benchmarks. */
  shardCounters(): ShardCounters[] {
    return shardCounters(this.#statsSources());
  }

  /** What another thread needs to read the tables directly (direct-read.ts); null without directReads. */
  directReadSources(): DirectReadSources | null {
    return this.#directReads === null ? null : { shards: this.#links.length, namespaces: this.namespaces, shardOptions: this.#links.map(({ options: { tableBuffer, journalBuffer, controlBuffer } }) => ({ tableBuffer, journalBuffer, controlBuffer })) };
  }

  #statsSources(): StatsSources {
    return { namespaces: this.namespaces, tables: this.#tables, links: this.#links, directReads: this.#directReads };
  }

  /** Stops taking ops, waits for every batch in flight, then stops the shard threads. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweepTimer !== null) clearInterval(this.#sweepTimer);
    for (let waits = 0; waits < 10_000 && !this.#links.every((link) => link.idle); waits++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(this.#links.map((link) => link.close()));
    // After the shards: their last changes are drained into the log and reach the WAL's final fsync.
    await this.#persistence?.close();
  }
}

