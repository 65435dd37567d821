// Opens the shard engine: the one way the server and tools get an engine.
import type { EngineConfigInput } from './config';
import type { EngineOpenOptions } from './engine-api';
import { Engine } from './engine';

export async function openEngine(config: EngineConfigInput = {}, options: EngineOpenOptions = {}): Promise<Engine> {
  return Engine.open(config, options);
}
