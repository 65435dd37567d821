// Structured logs (pino, JSON lines on stdout). The server logs life-cycle events and failures,
// never one line per request: per-request facts live in /metrics, where they cost a counter.

import pino from 'pino';
import type { LogLevel } from './server-config';

export type Logger = pino.Logger;

export function createLogger(level: LogLevel): Logger {
  // Synchronous writes: a shutdown or a fatal error must not lose its last lines, and the log is
  // too quiet for write cost to matter.
  return pino({ name: 'tessera', level }, pino.destination({ dest: 1, sync: true }));
}
