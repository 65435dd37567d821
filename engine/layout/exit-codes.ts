// Process exit codes the engine uses, by name (sysexits.h numbering, as the server's CLI does).

/**
 * EX_SOFTWARE: an internal software error. A shard thread exits with it when an invariant broke
 * (its table may be inconsistent, so it must not serve again; Piscina starts a fresh thread that
 * re-checks the table and replays the journal), and when a test asks it to crash.
 */
export const exitCodeInternalError = 70;
