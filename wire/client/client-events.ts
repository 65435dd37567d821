// The client's connection events, with a tiny emitter of its own: the client runs in browsers too,
// where Node's `events` module does not exist. Unlike Node's EventEmitter, an 'error' event with no
// listener is not thrown: errors that matter to a call reach it through its promise anyway.
//
//   connect       the socket opened (the first time, and after every reconnect)
//   disconnect    the socket dropped or was closed ({ code, reason })
//   reconnecting  a reconnect attempt is scheduled ({ attempt, delayMs })
//   error         a reconnect attempt failed, or the server sent a frame the client cannot read

import type { TesseraError } from './tessera-error';

/** What status returns: 'ready' is when calls are sent at once. */
export type ClientStatus = 'connecting' | 'ready' | 'reconnecting' | 'closed';

export interface ClientEventMap {
  connect: { url: string };
  disconnect: { code: number; reason: string };
  reconnecting: { attempt: number; delayMs: number };
  error: TesseraError;
}

export type ClientEventName = keyof ClientEventMap;
export type ClientEventListener<Name extends ClientEventName> = (payload: ClientEventMap[Name]) => void;

const eventNames: readonly ClientEventName[] = ['connect', 'disconnect', 'reconnecting', 'error'];
/** A bound on listeners per event, as Node's maxListeners warns: more is almost always a leak. */
const listenersPerEventMax = 1000;

/** Out of the client's call stack, as an uncaught error the application can see. */
function rethrowLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  }, 0);
}

export class ClientEvents {
  readonly #listeners = new Map<ClientEventName, Set<ClientEventListener<never>>>();
  readonly #listenerFailed: (error: unknown) => void;

  /** `listenerFailed` receives what a listener throws (tests pass their own). */
  constructor(listenerFailed: (error: unknown) => void = rethrowLater) {
    this.#listenerFailed = listenerFailed;
  }

  on<Name extends ClientEventName>(name: Name, listener: ClientEventListener<Name>): void {
    checkEventName(name);
    if (typeof listener !== 'function') throw new TypeError(`on('${name}'): listener must be a function, got ${typeof listener}`);
    let listeners = this.#listeners.get(name);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(name, listeners);
    }
    if (listeners.size >= listenersPerEventMax) throw new RangeError(`on('${name}'): more than ${listenersPerEventMax} listeners (a leak?)`);
    listeners.add(listener as ClientEventListener<never>);
  }

  off<Name extends ClientEventName>(name: Name, listener: ClientEventListener<Name>): void {
    this.#listeners.get(name)?.delete(listener as ClientEventListener<never>);
  }

  once<Name extends ClientEventName>(name: Name, listener: ClientEventListener<Name>): void {
    const wrapper: ClientEventListener<Name> = (payload) => {
      this.off(name, wrapper);
      listener(payload);
    };
    this.on(name, wrapper);
  }

  listenerCount(name: ClientEventName): number {
    return this.#listeners.get(name)?.size ?? 0;
  }

  /** Calls every listener; one that throws does not stop the others or the client (rethrown later). */
  emit<Name extends ClientEventName>(name: Name, payload: ClientEventMap[Name]): void {
    const listeners = this.#listeners.get(name);
    if (listeners === undefined || listeners.size === 0) return;
    for (const listener of [...listeners]) {
      try {
        (listener as ClientEventListener<Name>)(payload);
      } catch (error: unknown) {
        this.#listenerFailed(error);
      }
    }
  }
}

function checkEventName(name: string): void {
  if (!(eventNames as readonly string[]).includes(name)) {
    throw new TypeError(`on: unknown event '${String(name)}' (events: ${eventNames.join(', ')})`);
  }
}
