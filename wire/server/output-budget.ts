// The process-wide bound on output that clients leave unread. Each WebSocket connection is bounded
// on its own (busyBackpressureBytes, backpressureBytesMax), but nothing bounded their sum: 100
// connections that asked for a 1 MiB value and never read took the server to 3.7 GiB (issue 9).
//
// A sweep, every outputSweepIntervalMs, adds up every connection's unread output (uWS's buffered
// amount plus the responses still in its outbox). Above the budget, new requests are answered Busy
// on every connection (a few bytes each), and the connections holding the most are closed, largest
// first, until the sum is back under the budget: their buffers are freed at once, and a client that
// does read is never the one cut off while a larger one does not. Between sweeps the sum can pass
// the budget by what arrives in one interval; outputSweepIntervalMs keeps that short.

/** How often the sum is taken; with 5,000 connections a sweep costs well under a millisecond. */
export const outputSweepIntervalMs = 50;

export interface BufferedConnection {
  /** Output waiting to be read by this connection's client, in bytes. */
  readonly bufferedBytes: number;
}

/**
 * The connections to close, largest first, so that the rest hold at most budgetBytes. Empty when
 * the total is within budget. Pure, for the unit test; the endpoint calls it only when over.
 */
export function offendersToClose<T extends BufferedConnection>(connections: readonly T[], budgetBytes: number): T[] {
  let totalBytes = 0;
  for (const connection of connections) totalBytes += connection.bufferedBytes;
  if (totalBytes <= budgetBytes) return [];
  const bySize = [...connections].sort((left, right) => right.bufferedBytes - left.bufferedBytes);
  const chosen: T[] = [];
  for (const connection of bySize) {
    if (totalBytes <= budgetBytes) break;
    chosen.push(connection);
    totalBytes -= connection.bufferedBytes;
  }
  return chosen;
}
