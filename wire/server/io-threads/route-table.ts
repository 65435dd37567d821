// The front's routes, as registered on its uWS app, kept so that requests an I/O thread relays can
// be dispatched to the same handlers (io-thread-host.ts). recording() wraps the app: every route
// registered through the wrapper is registered on the app as before and remembered here.
//
// Matching follows uWS's order for the patterns the server uses: a static pattern before a wildcard
// (`/v1/*`), a longer wildcard before a shorter one, and a method's own handler before `any`.

import type { HttpRequest, HttpResponse, TemplatedApp, WebSocketBehavior } from 'uWebSockets.js';
import { assert } from '../../../engine/layout/assert';

export type HttpHandler = (res: HttpResponse, req: HttpRequest) => void;

interface HttpRoute {
  /** Lower case, as uWS's getMethod() answers; 'any' for every method. */
  method: string;
  pattern: string;
  handler: HttpHandler;
}

/** What an I/O thread needs to serve a WebSocket route as the front's app would (no handlers). */
export interface WsRouteSettings {
  pattern: string;
  compression: number;
  maxPayloadLength: number;
  maxBackpressure: number;
  closeOnBackpressureLimit: boolean;
  idleTimeout: number;
  sendPingsAutomatically: boolean;
}

/** uWS's route methods and the HTTP method each serves. */
const routeMethods: ReadonlyMap<string, string> = new Map([
  ['get', 'get'], ['post', 'post'], ['options', 'options'], ['del', 'delete'], ['patch', 'patch'],
  ['put', 'put'], ['head', 'head'], ['connect', 'connect'], ['trace', 'trace'], ['any', 'any'],
]);

/** Lower is tried first: static, then wildcards by length (longest first). */
function rank(pattern: string): number {
  return pattern.endsWith('*') ? 1_000_000 - pattern.length : 0;
}

function matches(pattern: string, url: string): boolean {
  if (!pattern.endsWith('*')) return pattern === url;
  return url.startsWith(pattern.slice(0, -1));
}

export class RouteTable {
  readonly #http: HttpRoute[] = [];
  readonly #ws = new Map<string, WebSocketBehavior<unknown>>();

  /** The app, with route registration also recorded here. */
  recording(app: TemplatedApp): TemplatedApp {
    const table = this;
    return new Proxy(app, {
      get(target, property, receiver): unknown {
        if (property === 'ws') {
          return (pattern: string, behavior: WebSocketBehavior<unknown>) => {
            table.#ws.set(pattern, behavior);
            target.ws(pattern, behavior);
            return receiver;
          };
        }
        const method = typeof property === 'string' ? routeMethods.get(property) : undefined;
        if (method !== undefined) {
          return (pattern: string, handler: HttpHandler) => {
            assert(!pattern.includes(':'), 'relayed routes are static or wildcards (no parameters)');
            table.#http.push({ method, pattern, handler });
            (target[property as 'get'])(pattern, handler);
            return receiver;
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /** The handler the front's app would run for this request, or null (uWS would answer 404 itself). */
  httpHandler(method: string, url: string): HttpHandler | null {
    let best: HttpRoute | null = null;
    let bestRank = Infinity;
    for (const route of this.#http) {
      if (route.method !== method && route.method !== 'any') continue;
      if (!matches(route.pattern, url)) continue;
      const routeRank = rank(route.pattern) * 2 + (route.method === 'any' ? 1 : 0);
      if (routeRank < bestRank) {
        best = route;
        bestRank = routeRank;
      }
    }
    return best?.handler ?? null;
  }

  wsBehavior(pattern: string): WebSocketBehavior<unknown> | null {
    return this.#ws.get(pattern) ?? null;
  }

  /** Every WebSocket route's settings, for the I/O threads to register the same patterns. */
  wsSettings(): WsRouteSettings[] {
    return [...this.#ws].map(([pattern, behavior]) => ({
      pattern,
      compression: behavior.compression ?? 0,
      maxPayloadLength: behavior.maxPayloadLength ?? 16 * 1024,
      maxBackpressure: behavior.maxBackpressure ?? 64 * 1024,
      closeOnBackpressureLimit: Boolean(behavior.closeOnBackpressureLimit),
      idleTimeout: behavior.idleTimeout ?? 120,
      sendPingsAutomatically: behavior.sendPingsAutomatically ?? true,
    }));
  }
}
