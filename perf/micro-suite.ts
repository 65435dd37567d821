// A micro-benchmark suite: a name and the cases to time, or the reason it cannot run (for example
// a module that is not built yet). Setup happens in `cases()`, outside the timed functions.

export interface MicroCase {
  name: string;
  /** The timed function; return something derived from the work so it cannot be optimised away. */
  run: () => unknown;
}

export interface MicroSuite {
  name: string;
  cases(): MicroCase[] | string;
}

/** Loads a built module beside the harness, or returns why it cannot. */
export function requireBuilt<T>(modulePath: string, exportsNeeded: readonly string[]): T | string {
  let loaded: unknown;
  try {
    loaded = require(modulePath) as unknown;
  } catch (error: unknown) {
    return `${modulePath} is not built: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  }
  if (typeof loaded !== 'object' || loaded === null) return `${modulePath} exports nothing`;
  const missing = exportsNeeded.filter((name) => typeof (loaded as Record<string, unknown>)[name] !== 'function');
  return missing.length > 0 ? `${modulePath} lacks ${missing.join(', ')}` : (loaded as T);
}
