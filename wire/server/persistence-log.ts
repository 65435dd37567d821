// What `tessera serve` logs about its data dir, each once per event, never per request: recovery
// progress (at most every 2 s, from the engine), one line when recovery is done with its figures,
// and one error line when the WAL fails for good.

import type { PersistenceStats } from '../../engine/front/persistence';
import type { RecoveryProgress, RecoveryReport } from '../../engine/front/recovery';
import type { Logger } from './logger';
import { reasonOf } from './server-errors';

/** Recovery progress lines: records replayed, records/s, and percent where the total is known (a snapshot's). */
export function recoveryProgressLogger(logger: Logger): RecoveryProgress {
  return (phase, done, total, recordsPerSec) => {
    const percent = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : undefined;
    const where = phase === 'snapshot' ? 'snapshot records loaded' : 'WAL records replayed';
    logger.info({ phase, records: done, ...(total > 0 ? { total, percent } : {}), recordsPerSec }, `recovering: ${done} ${where}${percent === undefined ? '' : ` (${percent} %)`}, ${recordsPerSec} records/s`);
  };
}

/** One line when recovery is done; a warning when the WAL or a snapshot was damaged. */
export function logRecoveryDone(logger: Logger, report: RecoveryReport): void {
  const fields = {
    ms: report.ms,
    snapshotLsn: report.snapshotLsn,
    snapshotRecords: report.snapshotRecords,
    walRecords: report.walRecords,
    lastLsn: report.lastLsn,
    walDroppedBytes: report.walDroppedBytes,
    walDroppedRecords: report.walDroppedRecords,
    ...(report.walDamage === null ? {} : { walDamage: report.walDamage }),
    ...(report.rejectedSnapshots.length === 0 ? {} : { rejectedSnapshots: report.rejectedSnapshots }),
    ...(report.outOfMemory === 0 ? {} : { outOfMemory: report.outOfMemory }),
    ...(report.unknownNamespace === 0 ? {} : { unknownNamespace: report.unknownNamespace }),
  };
  const damaged = report.walDamage !== null || report.walDroppedBytes > 0 || report.rejectedSnapshots.length > 0;
  const message = `recovered in ${report.ms} ms: ${report.snapshotRecords} snapshot records (LSN ${report.snapshotLsn}) + ${report.walRecords} WAL records, continuing after LSN ${report.lastLsn}`;
  if (damaged) {
    logger.warn(fields, `${message}; damage dropped ${report.walDroppedRecords} records (${report.walDroppedBytes} bytes)${report.walDamage === null ? '' : `: ${report.walDamage}`}`);
  } else if (report.outOfMemory > 0 || report.unknownNamespace > 0) {
    logger.warn(fields, `${message}; ${report.outOfMemory} records did not fit their namespace, ${report.unknownNamespace} belong to no configured namespace`);
  } else {
    logger.info(fields, message);
  }
}

/** The WAL failed for good: logged once (the engine calls this once). */
export function logPersistenceFailed(logger: Logger, error: Error, stats: PersistenceStats | null): void {
  logger.error({ reason: reasonOf(error), dataDir: stats?.dataDir, durableLsn: stats?.durableLsn },
    `persistence failed: ${reasonOf(error)}; writes are refused (PersistenceFailed) and reads go on; restart the node to recover from its data dir`);
}
