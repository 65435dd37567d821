// The little of WebSocket the client uses, met both by the browser's WebSocket and by the `ws`
// package's. Declared here because the project compiles without the DOM library.

export interface SocketMessageEvent {
  data: unknown;
}

export interface SocketCloseEvent {
  code: number;
  reason: string;
}

export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: SocketMessageEvent) => void) | null;
  onclose: ((event: SocketCloseEvent) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type SocketConstructor = new (url: string) => SocketLike;

/** The `ws` package's socket also has EventEmitter's on(). */
interface NodeSocketLike extends SocketLike {
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown;
}

/**
 * Calls `listener` with each message's data: a binary message's bytes, anything else for a text
 * message (which the client refuses). With `ws` it listens through on('message'), which hands
 * over the data itself (onmessage would wrap each message in a MessageEvent object first); with
 * binaryType 'nodebuffer' a binary message is a Buffer, a view of the socket's read buffer.
 */
export function listenForMessages(socket: SocketLike, isNodeWs: boolean, listener: (data: unknown) => void): void {
  if (isNodeWs) (socket as NodeSocketLike).on('message', (data, isBinary) => listener(isBinary ? data : null));
  else socket.onmessage = (event) => listener(event.data);
}

/** The `ws` package's constructor: it also takes options (headers, TLS trust) that browsers cannot. */
type NodeSocketConstructor = new (url: string, protocols: string[] | undefined, options: { headers?: Record<string, string>; ca?: string | Uint8Array; perMessageDeflate?: boolean }) => SocketLike;

export interface SocketCredentials {
  /** Access token: `Authorization: Bearer` under Node, the `access_token` query parameter elsewhere. */
  token?: string;
  /** PEM certificate(s) to trust for wss:// (Node only), e.g. a private CA. */
  ca?: string | Uint8Array;
}

/**
 * Opens a socket with the credentials. With `ws` (Node) the token travels in the Authorization
 * header, which proxies do not log; a browser's WebSocket cannot set headers, so there it goes in
 * the access_token query parameter (use wss:// so it is encrypted).
 */
export function openSocket(Socket: SocketConstructor, isNodeWs: boolean, url: string, credentials: SocketCredentials): SocketLike {
  if (isNodeWs) {
    const headers: Record<string, string> = credentials.token === undefined ? {} : { Authorization: `Bearer ${credentials.token}` };
    // No permessage-deflate (the server offers none either): ws then frames each send() at once,
    // copying the bytes, so the client may hand it a view of its reused encoder (client.ts).
    const options = credentials.ca === undefined ? { headers, perMessageDeflate: false } : { headers, ca: credentials.ca, perMessageDeflate: false };
    return new (Socket as unknown as NodeSocketConstructor)(url, undefined, options);
  }
  if (credentials.ca !== undefined) throw new Error('options.ca needs the ws package (Node); a browser trusts its own CAs');
  if (credentials.token === undefined) return new Socket(url);
  const separator = url.includes('?') ? '&' : '?';
  return new Socket(`${url}${separator}access_token=${encodeURIComponent(credentials.token)}`);
}

/** readyState values, as the WebSocket standard numbers them. */
export const socketOpen = 1;
export const socketClosed = 3;

/**
 * The WebSocket to use: the one given, else `ws` under Node (Node 20 has no global WebSocket),
 * else the global one (browsers, Deno, Bun). `ws` is required lazily so that browser bundles
 * never load it.
 */
export function resolveSocketConstructor(given?: SocketConstructor): SocketConstructor {
  return resolveSocket(given).Socket;
}

/** resolveSocketConstructor, and whether the result is the `ws` package (which takes options). */
export function resolveSocket(given?: SocketConstructor): { Socket: SocketConstructor; isNodeWs: boolean } {
  if (given !== undefined) return { Socket: given, isNodeWs: false };
  const isNode = typeof process !== 'undefined' && typeof process.versions === 'object' && process.versions.node !== undefined;
  if (isNode && typeof require === 'function') {
    // ws's WebSocket class matches SocketLike; its declared event types are wider than we use.
    const ws: SocketConstructor = require('ws');
    return { Socket: ws, isNodeWs: true };
  }
  const global = (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (global === undefined) throw new Error('no WebSocket implementation: pass options.WebSocket');
  return { Socket: global, isNodeWs: false };
}
