// Before a node started with --replica-of opens its data dir: where the primary's history left the
// one it continued (its /status: previousHistoryId and switchLsn, after a promotion). An old primary
// rejoining then cuts its divergent tail before recovery (engine/front/divergent-tail.ts) and
// catches up by a partial sync. A primary that does not answer in time, or was never promoted,
// gives null: the node starts as it is (a divergent tail then costs a full sync, as before).

import type { RejoinPoint } from '../../../engine/front/divergent-tail';
import { historyIdBytes } from '../../../engine/layout/wal-segment-header';
import { httpOriginOf } from './replica-link';

/** How long a start waits for the primary's /status. */
export const rejoinProbeMs = 3000;

export async function fetchRejoinPoint(replicaOf: string, timeoutMs = rejoinProbeMs): Promise<RejoinPoint | null> {
  try {
    const token = new URL(replicaOf).searchParams.get('access_token');
    const headers: Record<string, string> = token === null ? {} : { Authorization: `Bearer ${token}` };
    const response = await fetch(`${httpOriginOf(replicaOf)}/status`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return null;
    const replication = ((await response.json()) as { replication?: Record<string, unknown> | null }).replication;
    const previous = replication?.['previousHistoryId'];
    const switchLsn = replication?.['switchLsn'];
    if (replication?.['role'] !== 'primary' || typeof previous !== 'string' || !/^[0-9a-f]+$/.test(previous) || previous.length !== historyIdBytes * 2) return null;
    if (typeof switchLsn !== 'number' || !Number.isSafeInteger(switchLsn) || switchLsn < 1) return null;
    return { previousHistoryId: new Uint8Array(Buffer.from(previous, 'hex')), switchLsn };
  } catch {
    return null;
  }
}
