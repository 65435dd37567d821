// Events that can repeat fast (refused connections, slow subscribers, shard deaths) are logged
// once, then at most once per interval per kind: a line carries `suppressed`, the number of the
// same kind not logged since the previous line, so the log stays readable under a storm and the
// count is still right. Totals live in /metrics.

import type { Logger } from './logger';

export type LogLevelName = 'error' | 'warn' | 'info';

interface KindState {
  lastLoggedMs: number;
  suppressed: number;
}

export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #kinds = new Map<string, KindState>();

  constructor(logger: Logger, intervalMs = 10_000, now: () => number = Date.now) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Logs `message` with `fields` unless a line of this kind was logged less than the interval ago. */
  log(level: LogLevelName, kind: string, fields: Record<string, unknown>, message: string): boolean {
    const now = this.#now();
    let state = this.#kinds.get(kind);
    if (state === undefined) {
      state = { lastLoggedMs: Number.NEGATIVE_INFINITY, suppressed: 0 };
      this.#kinds.set(kind, state);
    }
    if (now - state.lastLoggedMs < this.#intervalMs) {
      state.suppressed++;
      return false;
    }
    const suppressed = state.suppressed;
    state.lastLoggedMs = now;
    state.suppressed = 0;
    this.#logger[level]({ kind, ...fields, ...(suppressed > 0 ? { suppressed } : {}) }, message);
    return true;
  }
}
