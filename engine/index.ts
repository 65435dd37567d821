// Public surface of the engine package.
export * from './layout/status';
export * from './layout/types';
export * from './layout/limits';
export type { EngineApi, ChangeLogApi, ChangeListener, PutOptions } from './front/engine-api';
export { normalizeEngineConfig, namespaceDefaults, defaultShardCount } from './front/config';
export type { EngineConfig, EngineConfigInput, NamespaceConfigInput } from './front/config';
export { validateOp, validateKey } from './layout/validate-op';
export { ModelEngine } from './front/model-engine';
export { openEngine } from './front/open-engine';
export { Engine } from './front/engine';
export type { EngineOpenOptions, EngineTestHooks } from './front/engine-api';
export type { PersistenceConfig, PersistenceConfigInput, FsyncPolicy } from './front/persistence-config';
export type { PersistenceStats } from './front/persistence';
export type { SnapshotReport } from './front/snapshot-taker';
export type { RecoveryReport } from './front/recovery';
