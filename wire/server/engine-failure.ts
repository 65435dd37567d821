// What a client is told when an engine call rejects instead of answering: the status of a
// StatusError (ShardUnavailable, InvalidCursor...), or InternalError for anything else. Both
// transports use this one mapping.

import { Status, StatusError } from '../../engine/layout/status';
import type { StatusResult } from '../codec';

export function failureOf(error: unknown): StatusResult {
  if (error instanceof StatusError) return { status: error.status, message: error.message };
  return { status: Status.InternalError, message: error instanceof Error ? error.message : String(error) };
}
