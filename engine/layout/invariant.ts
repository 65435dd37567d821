// A broken invariant is a bug in Tessera, never bad input: it throws loudly instead of returning a
// status (STYLE.md, "two kinds of failure"). Bad input is answered with a Status instead.

export function invariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`invariant broken: ${message}`);
}
