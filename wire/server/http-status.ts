// How each Status reads over HTTP. One table, so the content API, the admin routes and the tests
// agree; the JSON error body carries the Status name so a client never has to parse the code.

import { Status } from '../../engine/layout/status';

const reasonPhrases: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  206: 'Partial Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  416: 'Range Not Satisfiable',
  421: 'Misdirected Request',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

const httpCodes: Readonly<Record<Status, number>> = {
  [Status.Ok]: 200,
  [Status.NotFound]: 404,
  [Status.GenerationMismatch]: 412,
  [Status.AlreadyExists]: 412,
  // A key that is too long is a bad key like any other (the issue asks for 400, not 414).
  [Status.KeyTooLarge]: 400,
  [Status.ValueTooLarge]: 413,
  [Status.InvalidKey]: 400,
  [Status.OutOfMemory]: 507,
  [Status.UnknownNamespace]: 404,
  [Status.ShardUnavailable]: 503,
  [Status.Busy]: 503,
  [Status.MalformedRequest]: 400,
  [Status.TooManyOps]: 400,
  [Status.FrameTooLarge]: 413,
  [Status.InvalidArgument]: 400,
  [Status.InvalidCursor]: 400,
  [Status.ShuttingDown]: 503,
  [Status.InternalError]: 500,
  [Status.InvalidContentType]: 400,
  [Status.PersistenceFailed]: 503,
  [Status.ReadOnly]: 421,
  [Status.NotEnoughReplicas]: 503,
  [Status.Unauthorized]: 401,
  [Status.Forbidden]: 403,
  [Status.Recovering]: 503,
};

export function httpCodeOf(status: Status): number {
  return httpCodes[status];
}

// Built once so a response does not concatenate its status line.
const statusLines = new Map<number, string>(
  Object.entries(reasonPhrases).map(([code, phrase]) => [Number(code), `${code} ${phrase}`]),
);

/** The status line uWS expects, e.g. "404 Not Found". */
export function statusLine(httpCode: number): string {
  const line = statusLines.get(httpCode);
  if (line === undefined) throw new RangeError(`no reason phrase for HTTP ${httpCode}`);
  return line;
}
