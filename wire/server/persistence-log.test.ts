// What serve logs about its data dir: progress lines with records/s and percent (when a total is
// known), the recovery-done line with its figures (a warning when the WAL was damaged), and the
// persistence failure.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { RecoveryReport } from '../../engine/front/recovery';
import { logPersistenceFailed, logRecoveryDone, recoveryProgressLogger } from './persistence-log';

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (text: string) => void lines.push(JSON.parse(text) as Record<string, unknown>) });
  return { logger, lines };
}

const cleanReport: RecoveryReport = {
  ms: 1234, snapshotLsn: 500, snapshotPath: '/d/snapshots/s.snap', snapshotRecords: 400, rejectedSnapshots: [], walRecords: 80, lastLsn: 580,
  walDroppedBytes: 0, walDroppedRecords: 0, walDamage: null, outOfMemory: 0, unknownNamespace: 0,
};

test('progress: records, records/s, and percent only where the total is known', () => {
  const { logger, lines } = capture();
  const progress = recoveryProgressLogger(logger);
  progress('snapshot', 250, 1000, 5000);
  progress('wal', 70_000, 0, 35_000);
  assert.equal(lines.length, 2);
  assert.deepEqual([lines[0]?.['phase'], lines[0]?.['records'], lines[0]?.['total'], lines[0]?.['percent'], lines[0]?.['recordsPerSec']], ['snapshot', 250, 1000, 25, 5000]);
  assert.match(String(lines[0]?.['msg']), /250 snapshot records loaded \(25 %\), 5000 records\/s/);
  assert.equal(lines[1]?.['percent'], undefined);
  assert.match(String(lines[1]?.['msg']), /70000 WAL records replayed, 35000 records\/s/);
});

test('recovery done: one info line with the figures; a warning naming the damage when the WAL was cut', () => {
  const { logger, lines } = capture();
  logRecoveryDone(logger, cleanReport);
  logRecoveryDone(logger, { ...cleanReport, walDroppedBytes: 4096, walDroppedRecords: 3, walDamage: 'checksum mismatch at LSN 581' });
  assert.equal(lines.length, 2);
  assert.equal(lines[0]?.['level'], 30);
  assert.deepEqual([lines[0]?.['ms'], lines[0]?.['snapshotLsn'], lines[0]?.['snapshotRecords'], lines[0]?.['walRecords'], lines[0]?.['walDroppedBytes'], lines[0]?.['walDroppedRecords']], [1234, 500, 400, 80, 0, 0]);
  assert.equal('walDamage' in (lines[0] ?? {}), false);
  assert.equal(lines[1]?.['level'], 40);
  assert.equal(lines[1]?.['walDamage'], 'checksum mismatch at LSN 581');
  assert.match(String(lines[1]?.['msg']), /dropped 3 records \(4096 bytes\): checksum mismatch at LSN 581/);
});

test('persistence failed: an error line with the reason', () => {
  const { logger, lines } = capture();
  logPersistenceFailed(logger, new Error('EIO: input/output error on fsync'), null);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.['level'], 50);
  assert.equal(lines[0]?.['reason'], 'EIO: input/output error on fsync');
  assert.match(String(lines[0]?.['msg']), /writes are refused \(PersistenceFailed\)/);
});
