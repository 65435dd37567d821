// Opens the shard engine: the one way the server and tools get an engine.
import type { EngineConfigInput } from './config';
import { Engine } from './engine';

export async function openEngine(config: EngineConfigInput = {}): Promise<Engine> {
  return Engine.open(config);
}
