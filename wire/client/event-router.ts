// Where server events go: one handler per subscription id. subscribe() (a later issue) registers
// here; the client routes every event frame through route().

import type { EventFrame } from '../codec/wire-types';

export type EventHandler = (event: EventFrame) => void;

export class EventRouter {
  readonly #handlers = new Map<number, EventHandler>();

  on(subId: number, handler: EventHandler): void {
    if (this.#handlers.has(subId)) throw new Error(`subscription ${subId} already has a handler`);
    this.#handlers.set(subId, handler);
  }

  off(subId: number): boolean {
    return this.#handlers.delete(subId);
  }

  /** Delivers the event to its subscription's handler; false when none is registered (dropped). */
  route(event: EventFrame): boolean {
    const handler = this.#handlers.get(event.subId);
    if (handler === undefined) return false;
    handler(event);
    return true;
  }

  get size(): number {
    return this.#handlers.size;
  }
}
