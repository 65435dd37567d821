// The one assertion helper of the engine (STYLE.md, "two kinds of failure"): a broken invariant is
// a bug in Tessera, never bad input, so it throws loudly; bad input is answered with a Status.
// In a shard thread the throw reaches shard-worker.ts, which exits the thread so Piscina starts a
// fresh one that re-checks the table and replays the journal.

export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant broken: ${message}`);
    this.name = 'InvariantError';
  }
}

/** Throws InvariantError when `condition` is false. The message is built only on failure. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/**
 * A narrow field survives its store: `stored` is what was read back from the field `name` after
 * writing `value`. Used where a u8/u16 length or id is written, so a value too wide for its field
 * fails here instead of being silently truncated.
 */
export function assertStored(stored: number, value: number, name: string): void {
  if (stored !== value) throw new InvariantError(`${name}: wrote ${value}, field holds ${stored}`);
}

/**
 * Throws InvariantError. For hot paths whose message needs values: write
 * `if (!condition) fail(\`...${value}\`)` so the message string is built only on failure
 * (an argument of assert() is evaluated on every call).
 */
export function fail(message: string): never {
  throw new InvariantError(message);
}
