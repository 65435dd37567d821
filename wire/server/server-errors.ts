// Every way the server process itself can fail to start or be misused, each with a stable code and
// a default message. These are operator-facing failures (bad config, missing native binary, port
// taken), not request failures: a request failure is a Status (engine/layout/status.ts) sent to the client.

export const serverErrorCodes = {
  UwsLoadFailed: 'TESSERA_UWS_LOAD_FAILED',
  ConfigUnreadable: 'TESSERA_CONFIG_UNREADABLE',
  ConfigInvalid: 'TESSERA_CONFIG_INVALID',
  ListenFailed: 'TESSERA_LISTEN_FAILED',
  Usage: 'TESSERA_USAGE',
  Unprotected: 'TESSERA_UNPROTECTED',
  TlsUnreadable: 'TESSERA_TLS_UNREADABLE',
} as const;

export type ServerErrorName = keyof typeof serverErrorCodes;
export type ServerErrorCode = (typeof serverErrorCodes)[ServerErrorName];

const defaultMessages: Record<ServerErrorName, string> = {
  UwsLoadFailed: 'the uWebSockets.js native binary could not be loaded',
  ConfigUnreadable: 'the config file could not be read',
  ConfigInvalid: 'the configuration is not valid',
  ListenFailed: 'the server could not listen on the requested host and port',
  Usage: 'invalid command line',
  Unprotected: 'refusing to serve a non-loopback address without access tokens (pass --insecure to do it deliberately)',
  TlsUnreadable: 'the TLS certificate or key file could not be read',
};

export class ServerError extends Error {
  readonly code: ServerErrorCode;
  /** Each problem on its own (a config file's errors, one per path); empty when the message is all. */
  readonly problems: readonly string[];
  constructor(name: ServerErrorName, message: string = defaultMessages[name], options?: { cause?: unknown; problems?: readonly string[] }) {
    super(message, options);
    this.name = 'ServerError';
    this.code = serverErrorCodes[name];
    this.problems = options?.problems ?? [];
  }
}

/** The one-line reason of any thrown value, for error messages that wrap it. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
