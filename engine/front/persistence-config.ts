// Persistence settings of a node (DESIGN "Durability and replication"): where its data dir is, when
// the write-ahead log is fsynced, how often snapshots are taken and how large a WAL segment grows.
// `false` is a pure memory node: nothing is written, every namespace acks on `memory`.

export const fsyncPolicies = ['always', 'everysec', 'never'] as const;
/**
 * always: a `disk` ack waits for the fdatasync that covers the write (survives power loss).
 * everysec / never: a `disk` ack waits for the write() to the OS only, which survives a crash of
 * the process but not of the machine; everysec fsyncs once a second, never leaves it to the OS.
 * This is what Redis's appendfsync means by the same words.
 */
export type FsyncPolicy = (typeof fsyncPolicies)[number];

export interface PersistenceConfig {
  dataDir: string;
  fsync: FsyncPolicy;
  /** Seconds between scheduled snapshots; 0 = only on request (CLI, admin endpoint). */
  snapshotIntervalSec: number;
  /** A WAL segment is closed and the next (prepared ahead) one opened past this size. */
  walSegmentBytes: number;
}

export type PersistenceConfigInput = Partial<PersistenceConfig> | false;

export const walSegmentBytesMin = 1024 * 1024;
export const walSegmentBytesMax = 1024 * 1024 * 1024;
export const snapshotIntervalSecMax = 7 * 24 * 3600;

export function persistenceDefaults(): PersistenceConfig {
  return { dataDir: './data', fsync: 'always', snapshotIntervalSec: 300, walSegmentBytes: 64 * 1024 * 1024 };
}

function assertPersistence(condition: boolean, message: string): asserts condition {
  if (!condition) throw new RangeError(`invalid persistence config: ${message}`);
}

/** Fills defaults and checks ranges; false stays false. Throws RangeError naming the field. */
export function normalizePersistence(input: PersistenceConfigInput | undefined): PersistenceConfig | false {
  if (input === false || input === undefined) return false;
  const config: PersistenceConfig = { ...persistenceDefaults(), ...input };
  const { dataDir, fsync, snapshotIntervalSec, walSegmentBytes } = config;
  assertPersistence(typeof dataDir === 'string' && dataDir.length > 0 && dataDir.length <= 4096, 'persistence.dataDir must be a path');
  assertPersistence((fsyncPolicies as readonly string[]).includes(fsync), `persistence.fsync must be one of ${fsyncPolicies.join(', ')}, got ${JSON.stringify(fsync)}`);
  assertPersistence(Number.isInteger(snapshotIntervalSec) && snapshotIntervalSec >= 0 && snapshotIntervalSec <= snapshotIntervalSecMax, `persistence.snapshotIntervalSec must be an integer in 0..${snapshotIntervalSecMax}`);
  assertPersistence(Number.isInteger(walSegmentBytes) && walSegmentBytes >= walSegmentBytesMin && walSegmentBytes <= walSegmentBytesMax, `persistence.walSegmentBytes must be an integer in ${walSegmentBytesMin}..${walSegmentBytesMax}`);
  return config;
}
