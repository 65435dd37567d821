// The little of WebSocket the client uses, met by the browser's WebSocket, by the `ws` package's
// (a caller may pass it as options.WebSocket) and by the client's own Node transport
// (node-web-socket.ts). Declared here because the project compiles without the DOM library.

import type { NodeWebSocketOptions } from './node-web-socket';

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

/** The client's Node transport also hands over each message's bytes without an event object. */
interface NodeSocketLike extends SocketLike {
  onmessagedata: ((data: Uint8Array | null) => void) | null;
}

/**
 * Calls `listener` with each message's data: a binary message's bytes, anything else for a text
 * message (which the client refuses). With the Node transport it listens through onmessagedata,
 * which hands over the bytes themselves (onmessage would wrap each message in an event object
 * first): a view of the socket's read buffer, valid during the call only.
 */
export function listenForMessages(socket: SocketLike, isNodeSocket: boolean, listener: (data: unknown) => void): void {
  if (isNodeSocket) (socket as NodeSocketLike).onmessagedata = listener;
  else socket.onmessage = (event) => listener(event.data);
}

/** The Node transport's constructor: it also takes options (headers, TLS trust) that browsers cannot. */
type NodeSocketConstructor = new (url: string, protocols: string[] | undefined, options: NodeWebSocketOptions) => SocketLike;

export interface SocketCredentials {
  /** Access token: `Authorization: Bearer` under Node, the `access_token` query parameter elsewhere. */
  token?: string;
  /** PEM certificate(s) to trust for wss:// (Node only), e.g. a private CA. */
  ca?: string | Uint8Array;
}

/**
 * Opens a socket with the credentials. Under Node the token travels in the Authorization header,
 * which proxies do not log; a browser's WebSocket cannot set headers, so there it goes in the
 * access_token query parameter (use wss:// so it is encrypted).
 */
export function openSocket(Socket: SocketConstructor, isNodeSocket: boolean, url: string, credentials: SocketCredentials): SocketLike {
  if (isNodeSocket) {
    const headers: Record<string, string> = credentials.token === undefined ? {} : { Authorization: `Bearer ${credentials.token}` };
    // The transport offers no extension and frames each send() at once, copying the bytes, so
    // the client may hand it a view of its reused encoder (client.ts).
    const options: NodeWebSocketOptions = credentials.ca === undefined ? { headers } : { headers, ca: credentials.ca };
    return new (Socket as unknown as NodeSocketConstructor)(url, undefined, options);
  }
  if (credentials.ca !== undefined) throw new Error('options.ca needs Node (the client\'s own WebSocket); a browser trusts its own CAs');
  if (credentials.token === undefined) return new Socket(url);
  const separator = url.includes('?') ? '&' : '?';
  return new Socket(`${url}${separator}access_token=${encodeURIComponent(credentials.token)}`);
}

/** readyState values, as the WebSocket standard numbers them. */
export const socketOpen = 1;
export const socketClosed = 3;

/**
 * The WebSocket to use: the one given, else the client's own under Node (node-web-socket.ts; Node
 * 20 has no global WebSocket), else the global one (browsers, Deno, Bun). The Node transport is
 * required lazily, and requires net/tls/crypto where it uses them, so browsers never load them.
 */
export function resolveSocketConstructor(given?: SocketConstructor): SocketConstructor {
  return resolveSocket(given).Socket;
}

/** resolveSocketConstructor, and whether the result is the Node transport (which takes options). */
export function resolveSocket(given?: SocketConstructor): { Socket: SocketConstructor; isNodeSocket: boolean } {
  if (given !== undefined) return { Socket: given, isNodeSocket: false };
  const isNode = typeof process !== 'undefined' && typeof process.versions === 'object' && process.versions.node !== undefined;
  if (isNode && typeof require === 'function') {
    const transport = require('./node-web-socket') as typeof import('./node-web-socket');
    return { Socket: transport.NodeWebSocket, isNodeSocket: true };
  }
  const global = (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (global === undefined) throw new Error('no WebSocket implementation: pass options.WebSocket');
  return { Socket: global, isNodeSocket: false };
}
