// The one-op conveniences of EngineApi, written once on top of batch(): the shard engine and the
// model engine both extend this.

import type { PutOptions } from './engine-api';
import type { Key, Op, OpResult, Value } from '../layout/types';

export abstract class OpShortcuts {
  abstract batch(ops: readonly Op[]): Promise<OpResult[]>;

  async execute(op: Op): Promise<OpResult> {
    const [result] = await this.batch([op]);
    return result!;
  }

  get(ns: string, key: Key): Promise<OpResult> {
    return this.execute({ op: 'get', ns, key });
  }

  head(ns: string, key: Key): Promise<OpResult> {
    return this.execute({ op: 'head', ns, key });
  }

  put(ns: string, key: Key, value: Value, options: PutOptions = {}): Promise<OpResult> {
    return this.execute({ op: 'put', ns, key, value, ...options });
  }

  delete(ns: string, key: Key, options: { ifGeneration?: number } = {}): Promise<OpResult> {
    return this.execute({ op: 'delete', ns, key, ...options });
  }

  touch(ns: string, key: Key, ttl?: number): Promise<OpResult> {
    return this.execute(ttl === undefined ? { op: 'touch', ns, key } : { op: 'touch', ns, key, ttl });
  }
}
