// Public surface of the engine package.
export * from './status';
export * from './types';
export * from './limits';
export type { EngineApi, ChangeLogApi, ChangeListener, PutOptions } from './engine-api';
export { normalizeEngineConfig, namespaceDefaults, defaultShardCount } from './config';
export type { EngineConfig, EngineConfigInput, NamespaceConfigInput } from './config';
export { validateOp, validateKey } from './validate-op';
export { ModelEngine } from './model-engine';
export { openEngine } from './open-engine';
export { Engine } from './engine';
export type { EngineTestHooks } from './engine';
