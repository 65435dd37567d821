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

/** readyState values, as the WebSocket standard numbers them. */
export const socketOpen = 1;
export const socketClosed = 3;

/**
 * The WebSocket to use: the one given, else `ws` under Node (Node 20 has no global WebSocket),
 * else the global one (browsers, Deno, Bun). `ws` is required lazily so that browser bundles
 * never load it.
 */
export function resolveSocketConstructor(given?: SocketConstructor): SocketConstructor {
  if (given !== undefined) return given;
  const isNode = typeof process !== 'undefined' && typeof process.versions === 'object' && process.versions.node !== undefined;
  if (isNode && typeof require === 'function') {
    // ws's WebSocket class matches SocketLike; its declared event types are wider than we use.
    const ws: SocketConstructor = require('ws');
    return ws;
  }
  const global = (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (global === undefined) throw new Error('no WebSocket implementation: pass options.WebSocket');
  return global;
}
