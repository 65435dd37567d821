// Every result a client can see carries one of these codes. The numbers are the protocol: they are
// mirrored one to one by the `Status` enum in schemas/tessera.fbs (a test proves it), so never
// renumber one; add new codes at the end.

export enum Status {
  Ok = 0,
  NotFound = 1,
  GenerationMismatch = 2,
  AlreadyExists = 3,
  KeyTooLarge = 4,
  ValueTooLarge = 5,
  InvalidKey = 6,
  OutOfMemory = 7,
  UnknownNamespace = 8,
  ShardUnavailable = 9,
  Busy = 10,
  MalformedRequest = 11,
  TooManyOps = 12,
  FrameTooLarge = 13,
  InvalidArgument = 14,
  InvalidCursor = 15,
  ShuttingDown = 16,
  InternalError = 17,
  InvalidContentType = 18,
  PersistenceFailed = 19,
  ReadOnly = 20,
  NotEnoughReplicas = 21,
  Unauthorized = 22,
  Forbidden = 23,
  Recovering = 24,
}

export type StatusName = keyof typeof Status;

const statusMessages: Record<Status, string> = {
  [Status.Ok]: 'ok',
  [Status.NotFound]: 'no record with that key',
  [Status.GenerationMismatch]: 'the record generation does not match ifGeneration',
  [Status.AlreadyExists]: 'a record with that key already exists (create-only put)',
  [Status.KeyTooLarge]: 'the key is longer than the namespace allows',
  [Status.ValueTooLarge]: 'the value is larger than the namespace allows',
  [Status.InvalidKey]: 'the key is empty or not valid',
  [Status.OutOfMemory]: 'the namespace is full (store mode): nothing was written',
  [Status.UnknownNamespace]: 'no namespace with that name',
  [Status.ShardUnavailable]: 'the shard owning the key was restarting: the operation was not acknowledged',
  [Status.Busy]: 'too many requests in flight: retry later',
  [Status.MalformedRequest]: 'the request frame is not a valid Tessera request',
  [Status.TooManyOps]: 'the request carries more operations than allowed',
  [Status.FrameTooLarge]: 'the frame is larger than allowed',
  [Status.InvalidArgument]: 'an argument is out of range',
  [Status.InvalidCursor]: 'the scan cursor is not valid',
  [Status.ShuttingDown]: 'the server is shutting down',
  [Status.InternalError]: 'internal error',
  [Status.InvalidContentType]: 'the content type is not a valid media type (RFC 9110: token/token, parameters, no control characters)',
  [Status.PersistenceFailed]: 'the write-ahead log could not be made durable (disk full or fsync failed): writes are refused, reads go on',
  [Status.ReadOnly]: 'this node is a replica: send writes to the primary',
  [Status.NotEnoughReplicas]: 'fewer in-sync replicas than the namespace asks acknowledged the write in time: it is applied here, not acknowledged by replicas',
  [Status.Unauthorized]: 'no valid access token was presented',
  [Status.Forbidden]: 'the access token has no role that allows this operation on this namespace',
  [Status.Recovering]: 'the node is recovering its data from disk: retry shortly',
};

export function statusName(status: Status): StatusName {
  const name = Status[status];
  if (name === undefined) throw new RangeError(`unknown status code ${status}`);
  return name as StatusName;
}

export function statusMessage(status: Status): string {
  return statusMessages[status];
}

/** A failure that travels to the client as a typed status (never an invariant break). */
export class StatusError extends Error {
  readonly status: Status;
  constructor(status: Status, message: string = statusMessage(status)) {
    super(message);
    this.name = 'StatusError';
    this.status = status;
  }
}
