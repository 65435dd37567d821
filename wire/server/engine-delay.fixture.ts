// Test-only hooks (a fixture: only serve-with-hooks.fixture.ts loads it), switched on by
// environment variables named TESSERA_TEST_*. They let the
// end-to-end tests hold requests in flight on purpose (to see Busy, and a shutdown with requests
// in flight) with the model engine, which otherwise answers within the same event-loop turn.
// Nothing here runs unless such a variable is set.

import type { EngineApi, EngineTestHooks } from '../../engine/front/engine-api';

export const testEngineDelayVariable = 'TESSERA_TEST_ENGINE_DELAY_MS';
/** Sets the shards' clock (epoch ms) from the start, as if the wall clock read that. */
export const testClockVariable = 'TESSERA_TEST_CLOCK_MS';
const delayMsMax = 60_000;

function delayed<T>(delayMs: number, work: () => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    setTimeout(() => work().then(resolve, reject), delayMs);
  });
}

/** The engine, or (TESSERA_TEST_ENGINE_DELAY_MS=n) a wrapper that starts every call n ms late. */
export function applyTestHooks(engine: EngineApi, env: Readonly<Record<string, string | undefined>>): EngineApi {
  const clockText = env[testClockVariable];
  if (clockText !== undefined && clockText !== '') {
    const testing = (engine as EngineApi & { testing?: EngineTestHooks }).testing;
    if (testing === undefined || !/^\d{1,15}$/.test(clockText)) throw new RangeError(`${testClockVariable} needs the real engine and epoch ms`);
    testing.setClockMs(Number(clockText));
  }
  const text = env[testEngineDelayVariable];
  if (text === undefined || text === '') return engine;
  const delayMs = Number(text);
  if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > delayMsMax) {
    throw new RangeError(`${testEngineDelayVariable} must be an integer in 0..${delayMsMax}`);
  }
  return {
    namespaces: engine.namespaces,
    changes: engine.changes,
    batch: (ops) => delayed(delayMs, () => engine.batch(ops)),
    execute: (op) => delayed(delayMs, () => engine.execute(op)),
    get: (ns, key) => delayed(delayMs, () => engine.get(ns, key)),
    head: (ns, key) => delayed(delayMs, () => engine.head(ns, key)),
    put: (ns, key, value, options) => delayed(delayMs, () => engine.put(ns, key, value, options)),
    delete: (ns, key, options) => delayed(delayMs, () => engine.delete(ns, key, options)),
    touch: (ns, key, ttl) => delayed(delayMs, () => engine.touch(ns, key, ttl)),
    scan: (ns, options) => delayed(delayMs, () => engine.scan(ns, options)),
    taggedKeys: (ns, tag, limit) => delayed(delayMs, () => engine.taggedKeys(ns, tag, limit)),
    stats: () => engine.stats(),
    close: () => engine.close(),
  };
}
