// A shard thread that dies is replaced and loses nothing (DESIGN invariant 2), but an operator
// must hear of it: this watch reads the engine's restart count every 2 s (a figure the engine
// keeps anyway, nothing per op) and logs each rise once, with the thread's own reason when the
// shard link reported one (process warning TesseraShardRestart). Rate-limited like every
// repeated event (rate-limited-log.ts): a shard crashing in a loop is one line per 10 s.

import type { EngineApi } from '../../engine/front/engine-api';
import type { Logger } from './logger';
import { RateLimitedLog } from './rate-limited-log';

const watchIntervalMs = 2000;
const shardRestartWarning = 'TesseraShardRestart';

export function watchShardDeaths(engine: EngineApi, logger: Logger, intervalMs = watchIntervalMs): () => void {
  const log = new RateLimitedLog(logger);
  let known = engine.stats().shardRestarts;
  let lastReason: string | null = null;
  const onWarning = (warning: Error): void => {
    if (warning.name === shardRestartWarning) lastReason = warning.message;
  };
  process.on('warning', onWarning);
  const timer = setInterval(() => {
    const restarts = engine.stats().shardRestarts;
    if (restarts === known) return;
    const died = restarts - known;
    known = restarts;
    log.log('error', 'shard-thread-died', { died, shardRestarts: restarts, ...(lastReason === null ? {} : { reason: lastReason }) }, 'shard thread died and was replaced (its memory re-attached, its journal tail replayed: nothing lost)');
    lastReason = null;
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    process.off('warning', onWarning);
  };
}
