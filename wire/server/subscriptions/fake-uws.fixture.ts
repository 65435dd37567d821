// Test support (not a test): uWS pub/sub as the hub relies on it, in memory, with the behaviours
// measured on the real thing (see subscription-hub.ts):
//   * publish queues a frame for each socket on the topic; the frames reach the socket at the next
//     drain() (uWS: once per event-loop turn), in publish order;
//   * send() first drains the socket's queued frames, so one socket's frames keep call order;
//   * unsubscribing from a socket's last topic drops the frames still queued for it;
//   * getBufferedAmount() counts what was handed to the socket and not yet read by the peer
//     (queued topic frames are not counted).
// The peer's side (`wire`) also carries the answers to requests, in stream order, as uWS would
// send them: answer() puts one on the wire behind everything sent before it.

import type { ResultInput } from '../../codec/wire-types';
import type { SubscriberSocket } from './subscriber-session';
import type { TopicPublisher } from './subscription-hub';

export type WireItem = { frame: Uint8Array } | { answer: number; result: ResultInput };

export class FakeSocket implements SubscriberSocket {
  readonly topics = new Set<string>();
  #queued: Uint8Array[] = [];
  readonly wire: WireItem[] = [];
  #unreadBytes = 0;
  readonly #broker: FakeBroker;

  constructor(broker: FakeBroker) {
    this.#broker = broker;
    broker.sockets.add(this);
  }

  subscribe(topic: string): boolean {
    this.topics.add(topic);
    return true;
  }

  unsubscribe(topic: string): boolean {
    const had = this.topics.delete(topic);
    if (this.topics.size === 0) this.#queued = [];
    return had;
  }

  send(message: Uint8Array): number {
    this.drainQueued();
    this.#push({ frame: message });
    return 1;
  }

  getBufferedAmount(): number {
    return this.#unreadBytes;
  }

  /** The endpoint's answer to a request, behind everything sent so far. */
  answer(subId: number, result: ResultInput): void {
    this.drainQueued();
    this.#push({ answer: subId, result });
  }

  queue(frame: Uint8Array): void {
    this.#queued.push(frame);
  }

  drainQueued(): void {
    for (const frame of this.#queued) this.#push({ frame });
    this.#queued = [];
  }

  /** The peer reads up to `count` items. */
  read(count: number = Number.MAX_SAFE_INTEGER): WireItem[] {
    const items = this.wire.splice(0, count);
    for (const item of items) if ('frame' in item) this.#unreadBytes -= item.frame.byteLength;
    return items;
  }

  close(): void {
    this.#broker.sockets.delete(this);
  }

  #push(item: WireItem): void {
    this.wire.push(item);
    if ('frame' in item) this.#unreadBytes += item.frame.byteLength;
  }
}

export class FakeBroker implements TopicPublisher {
  readonly sockets = new Set<FakeSocket>();
  published = 0;

  publish(topic: string, message: Uint8Array): boolean {
    this.published++;
    // uWS copies a published message (the hub may reuse the bytes once publish returns).
    message = message.slice();
    let any = false;
    for (const socket of this.sockets) {
      if (!socket.topics.has(topic)) continue;
      socket.queue(message);
      any = true;
    }
    return any;
  }

  /** The end of an event-loop turn: queued frames reach their sockets. */
  drain(): void {
    for (const socket of this.sockets) socket.drainQueued();
  }

  subscribers(topic: string): number {
    let count = 0;
    for (const socket of this.sockets) if (socket.topics.has(topic)) count++;
    return count;
  }
}
