// Takes a snapshot without fork and without stopping a shard: a fuzzy copy plus idempotent replay.
//
// The snapshot is tagged with the change log's last LSN when it starts (L). It then walks every
// shard's index in slices (ordinary scan ops, each bounded by shard-scan.ts's slot and byte
// limits, interleaved with the shard's other batches), and hands each slice's bytes to the
// snapshot writer thread. A record changed during the walk may be copied before or after its
// change; every change after L is in the WAL, and recovery replays the WAL from L + 1 over the
// snapshot with absolute changes, so both cases converge on the logged state.
//
// Why not Dragonfly's versioned buckets: they need a per-bucket version checked on every write of
// the shard's hot path; the fuzzy copy costs the hot path nothing, and its price (replaying the
// WAL written during the walk) is paid only at recovery. Measured figures: docs/PERFORMANCE.md.

import { scanFlagAfterWholeHash, scanFlagHasAfter, scanFlagTags, scanFlagValues } from '../layout/batch-layout';
import type { PersistenceHost } from './persistence-host';
import type { SnapshotClient } from './snapshot-client';
import { encodeSnapshotChunk, readSliceEnd } from './snapshot-chunk';
import type { ScanSliceRequest } from './op-writer';

/** Records one slice may return at most (the shard also bounds slots and bytes per slice). */
const snapshotSliceRecordsMax = 65536;
/** Slices one shard's pass over one namespace may take: a bound on the loop, far above any table. */
const slicesPerPassMax = 1 << 24;

export interface SnapshotReport {
  lsn: number;
  path: string;
  records: number;
  bytes: number;
  ms: number;
  /** When it finished, epoch ms. */
  finishedAt: number;
}

/**
 * `waitDurable(lsn)` resolves once the WAL holds every change up to `lsn` as the fsync policy
 * promises. The walk may copy changes made after the start LSN; the snapshot is completed only
 * once every change the walk could have seen is in the WAL, so a crash can never recover a
 * snapshot holding a change the WAL lost (whose LSN the node would then give to another change).
 */
export async function takeSnapshot(host: PersistenceHost, client: SnapshotClient, historyId: Uint8Array, waitDurable: (lsn: number) => Promise<void>): Promise<SnapshotReport> {
  const startedMs = performance.now();
  const lsn = host.changes.lastLsn;
  const names = host.namespaces.map((namespace) => namespace.name);
  client.begin({ historyId, startLsn: lsn, namespaces: names });
  try {
    for (let shard = 0; shard < host.shardCount; shard++) {
      for (let namespaceId = 0; namespaceId < names.length; namespaceId++) await copyPass(host, client, shard, namespaceId);
    }
    await waitDurable(host.changes.lastLsn);
  } catch (error: unknown) {
    await client.abort();
    throw error;
  }
  const result = await client.finish();
  return { lsn, path: result.path, records: result.records, bytes: result.bytes, ms: Math.round(performance.now() - startedMs), finishedAt: Date.now() };
}

/** One shard's records of one namespace, slice by slice. */
async function copyPass(host: PersistenceHost, client: SnapshotClient, shard: number, namespaceId: number): Promise<void> {
  const request: ScanSliceRequest = { namespaceId, prefix: new Uint8Array(0), limit: snapshotSliceRecordsMax, flags: scanFlagValues | scanFlagTags, afterHash: 0, afterKey: new Uint8Array(0) };
  for (let slices = 0; slices < slicesPerPassMax; slices++) {
    const payload = await host.scanSlice(shard, request);
    if (payload === null) throw new Error(`snapshot: shard ${shard} died during the snapshot; nothing was written`);
    const end = readSliceEnd(payload);
    if (end.count > 0) client.addChunk(encodeSnapshotChunk(namespaceId, payload), end.count);
    if (end.done) return;
    request.afterHash = end.afterHash;
    request.afterKey = end.afterKey ?? new Uint8Array(0);
    request.flags = scanFlagValues | scanFlagTags | scanFlagHasAfter | (end.afterKey === null ? scanFlagAfterWholeHash : 0);
  }
  throw new Error(`snapshot: shard ${shard} namespace ${namespaceId} did not finish within ${slicesPerPassMax} slices`);
}
