// The process-wide bound on output that clients leave unread. Each WebSocket connection is bounded
// on its own (busyBackpressureBytes, backpressureBytesMax), but nothing bounded their sum: 100
// connections that asked for a 1 MiB value and never read took the server to 3.7 GiB (issue 9).
//
// A sweep, every outputSweepIntervalMs, adds up every connection's unread output (uWS's buffered
// amount plus the responses still in its outbox). Above the budget, new requests are answered Busy
// on every connection (a few bytes each), and connections are closed until the sum is back under
// the budget, their buffers freed at once: first those that read nothing since the last sweep
// (stalled), largest first, then the rest, largest first. So a client that is reading is not cut off
// while a stalled one holds output: a reader that has just been handed an 8 MiB body holds more than
// a non-reader whose socket took part of its body, and largest-first alone closed the reader (the
// HTTP budget test saw it under CI load). Between sweeps the sum can pass the budget by what arrives
// in one interval; outputSweepIntervalMs keeps that short.

/** How often the sum is taken; with 5,000 connections a sweep costs well under a millisecond. */
export const outputSweepIntervalMs = 50;

export interface BufferedConnection {
  /** Output waiting to be read by this connection's client, in bytes. */
  readonly bufferedBytes: number;
  /** It held output at the previous sweep too, and none of it was read since (see UnreadSample). */
  readonly stalled: boolean;
}

/**
 * The connections to close, stalled ones first, largest first within each kind, so that the rest
 * hold at most budgetBytes. Empty when the total is within budget. Pure, for the unit test; the
 * endpoint calls it only when over.
 */
export function offendersToClose<T extends BufferedConnection>(connections: readonly T[], budgetBytes: number): T[] {
  let totalBytes = 0;
  for (const connection of connections) totalBytes += connection.bufferedBytes;
  if (totalBytes <= budgetBytes) return [];
  const bySize = [...connections].sort((left, right) => Number(right.stalled) - Number(left.stalled) || right.bufferedBytes - left.bufferedBytes);
  const chosen: T[] = [];
  for (const connection of bySize) {
    if (totalBytes <= budgetBytes) break;
    chosen.push(connection);
    totalBytes -= connection.bufferedBytes;
  }
  return chosen;
}

/**
 * One holder's unread output across sweeps: stalled when it held output at the previous sample and
 * holds no less now (its client read nothing, or less than was added). A holder first seen at this
 * sweep is not stalled: it gets one interval to show it reads.
 */
export class UnreadSample {
  #previousBytes = -1;
  stalled = false;

  /** Called once per sweep with the holder's unread output now. */
  sample(bufferedBytes: number): void {
    this.stalled = this.#previousBytes > 0 && bufferedBytes >= this.#previousBytes;
    this.#previousBytes = bufferedBytes;
  }
}

/** One holder of unread output that the budget may close: a WebSocket or an HTTP response being written. */
export interface OutputHolder extends BufferedConnection {
  readonly kind: 'websocket' | 'http';
  readonly id: number;
  /** Closes the connection at once (no goodbye queued behind the output it is meant to free). */
  closeForOutput(): void;
}

/** A transport's holders: the WebSocket endpoint, the HTTP responses (http-output.ts). */
export interface OutputSource {
  /** Unread output held now (as of the last refresh where it is sampled). */
  readonly bufferedBytes: number;
  /** What counts against maxConnections: open WebSockets, HTTP responses still being written. */
  readonly connections: number;
  /** Samples each holder's unread output (once per sweep); returns the sum. */
  refresh(): number;
  /** Appends every holder (with bufferedBytes as of the refresh) to into. */
  collect(into: OutputHolder[]): void;
}

export interface OutputLimits {
  maxBufferedOutputBytes: number;
  maxConnections: number;
}

export interface OutputLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * The one process-wide budget both transports answer to: unread output summed over every
 * WebSocket and every HTTP response still being written, and the count of both against
 * maxConnections. A WebSocket request past it is answered Busy, a large HTTP response 503 Busy
 * with Retry-After, an upgrade 503; the sweep closes the largest holders of either kind.
 */
export class OutputBudget {
  readonly limits: OutputLimits;
  readonly #log: OutputLog;
  readonly #sources: OutputSource[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(limits: OutputLimits, log: OutputLog) {
    this.limits = limits;
    this.#log = log;
  }

  addSource(source: OutputSource): void {
    this.#sources.push(source);
  }

  /** Unread output of every source (WebSockets as of the last sweep, HTTP responses live). */
  get bufferedBytes(): number {
    let totalBytes = 0;
    for (const source of this.#sources) totalBytes += source.bufferedBytes;
    return totalBytes;
  }

  get connections(): number {
    let total = 0;
    for (const source of this.#sources) total += source.connections;
    return total;
  }

  /** True above maxBufferedOutputBytes: new output is refused until a sweep brings it back. */
  get over(): boolean {
    return this.bufferedBytes > this.limits.maxBufferedOutputBytes;
  }

  /** True when one more connection (or one more HTTP response held) would pass maxConnections. */
  get full(): boolean {
    return this.connections >= this.limits.maxConnections;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.sweep(), outputSweepIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Samples every source; above the budget, closes the largest holders, largest first. */
  sweep(): void {
    let totalBytes = 0;
    for (const source of this.#sources) totalBytes += source.refresh();
    const budgetBytes = this.limits.maxBufferedOutputBytes;
    if (totalBytes <= budgetBytes) return;
    const holders: OutputHolder[] = [];
    for (const source of this.#sources) source.collect(holders);
    for (const holder of offendersToClose(holders, budgetBytes)) {
      this.#log.warn({ kind: holder.kind, connection: holder.id, bufferedBytes: holder.bufferedBytes, totalBytes, budgetBytes }, 'connection closed: unread output over maxBufferedOutputBytes');
      holder.closeForOutput();
    }
  }
}
