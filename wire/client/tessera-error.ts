// The one error type the client throws. `status` is a server status name (engine/layout/status.ts) or
// one of the client's own names below; `code` is the matching number. Client codes start at 1000
// so they can never collide with a server status (a ubyte on the wire).
//
//   ConnectionFailed  the first connection (in connect()) could not be opened
//   ConnectionLost    the socket dropped while a write was in flight: it may or may not have been
//                     applied (reads in flight are re-sent after reconnecting instead)
//   Timeout           no response within requestTimeoutMs (same uncertainty for writes). The
//                     server is not told: a write that timed out here may still be applied there,
//                     even after this error was thrown (it was queued behind slow work, or its
//                     answer was lost). Before retrying a write after ConnectionLost or Timeout,
//                     read the record (its generation says whether the write landed), or make the
//                     retry conditional: ifGeneration, or mode 'create' / 'update'.
//   ClientClosed      close() was called before the request completed, or after
//   ProtocolError     the server's response did not match the request (a bug on one side)
//   QueueFull         the calls waiting to be sent already hold queueBytesMax bytes

import { Status, statusMessage, statusName, type StatusName } from '../../engine/layout/status';

export const clientErrorCodes = {
  ConnectionLost: 1000,
  ConnectionFailed: 1001,
  Timeout: 1002,
  ClientClosed: 1003,
  ProtocolError: 1004,
  QueueFull: 1005,
} as const;

export type ClientErrorName = keyof typeof clientErrorCodes;
export type TesseraErrorName = StatusName | ClientErrorName;

const clientErrorMessages: Record<ClientErrorName, string> = {
  ConnectionLost: 'the connection dropped while the request was in flight: it may or may not have been applied',
  ConnectionFailed: 'could not connect to the server',
  Timeout: 'no response in time: the request may or may not have been applied',
  ClientClosed: 'the client is closed',
  ProtocolError: 'the server sent a response that does not match the request',
  QueueFull: 'too many bytes are waiting to be sent: wait for earlier calls to finish, or raise queueBytesMax',
};

export class TesseraError extends Error {
  /** A server status name such as 'GenerationMismatch', or a client error name. */
  readonly status: TesseraErrorName;
  /** The status number (engine/layout/status.ts), or a client error code from 1000. */
  readonly code: number;

  constructor(status: TesseraErrorName, code: number, message: string) {
    super(message);
    this.name = 'TesseraError';
    this.status = status;
    this.code = code;
  }

  /** An error for a status the server answered (never Ok). */
  static fromStatus(status: Status, message?: string | null): TesseraError {
    if (status === Status.Ok) throw new RangeError('Ok is not an error');
    return new TesseraError(statusName(status), status, message ?? statusMessage(status));
  }

  static client(name: ClientErrorName, message: string = clientErrorMessages[name]): TesseraError {
    return new TesseraError(name, clientErrorCodes[name], message);
  }
}
