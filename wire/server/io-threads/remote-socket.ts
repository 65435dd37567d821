// A WebSocket held by an I/O thread, as the front's handlers (the endpoint, the subscription hub,
// replication) see it: the calls they make on a uWS WebSocket become records the I/O thread applies
// to the real socket, in call order, so one socket's frames keep the order they were sent in.
//
// getBufferedAmount() cannot ask the socket (it is on another thread): it answers what the I/O
// thread last reported (it reports after each batch it applies and every bufferedReportMs) plus
// what this side sent since that the I/O thread has not yet applied. Published frames reach the
// count only with the next report, so a subscriber is seen behind at most one report late.

import type { WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import { DownRecord } from './relay-codec';
import type { DownLink } from './relayed-http';
import { sendFlagAnswer, sendFlagBinary } from './send-flags';

const encoder = new TextEncoder();

/** Copies a frame's bytes (uWS's send takes any of these). */
function viewOf(message: ArrayBuffer | ArrayBufferView): Uint8Array {
  return message instanceof ArrayBuffer ? new Uint8Array(message) : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
}

/** Topics subscribed on one I/O thread, counted, so the front publishes there only what is listened to. */
export class TopicCounts {
  readonly #counts = new Map<string, number>();

  has(topic: string): boolean {
    return this.#counts.has(topic);
  }

  add(topic: string): void {
    this.#counts.set(topic, (this.#counts.get(topic) ?? 0) + 1);
  }

  remove(topic: string): void {
    const count = this.#counts.get(topic);
    if (count === undefined) return;
    if (count <= 1) this.#counts.delete(topic);
    else this.#counts.set(topic, count - 1);
  }
}

export class RemoteSocket<UserData = unknown> {
  readonly connId: number;
  readonly behavior: WebSocketBehavior<UserData>;
  readonly #link: DownLink;
  readonly #topicCounts: TopicCounts;
  readonly #userData: UserData;
  readonly #remoteAddress: string;
  readonly #topics = new Set<string>();
  #closed = false;
  #reportedBytes = 0;
  /** Bytes sent from here that the I/O thread had not applied at its last report. */
  #unappliedBytes = 0;

  constructor(connId: number, link: DownLink, topicCounts: TopicCounts, behavior: WebSocketBehavior<UserData>, userData: UserData, remoteAddress: string) {
    this.connId = connId;
    this.#link = link;
    this.#topicCounts = topicCounts;
    this.behavior = behavior;
    this.#userData = userData;
    this.#remoteAddress = remoteAddress;
  }

  get closed(): boolean {
    return this.#closed;
  }

  getUserData(): UserData {
    return this.#userData;
  }

  /** 1: sent (relayed); 0: relayed, but the socket holds more than its limit (uWS: backpressure). */
  send(message: ArrayBuffer | ArrayBufferView, isBinary = false): number {
    return this.#send(message, isBinary ? sendFlagBinary : 0);
  }

  /**
   * A binary Response to one of the socket's requests (ws-endpoint.ts): flagged, so the I/O thread
   * knows when the connection has nothing relayed left unanswered (local-reads.ts).
   */
  sendAnswer(message: ArrayBuffer | ArrayBufferView): number {
    return this.#send(message, sendFlagBinary | sendFlagAnswer);
  }

  #send(message: ArrayBuffer | ArrayBufferView, flags: number): number {
    if (this.#closed) return 0;
    const bytes = viewOf(message);
    this.#link.writer.u8(DownRecord.Send).u32(this.connId).u8(flags).bytes(bytes);
    this.#link.flushSoon();
    this.#unappliedBytes += bytes.byteLength;
    return this.getBufferedAmount() > (this.behavior.maxBackpressure ?? Infinity) ? 0 : 1;
  }

  cork(callback: () => void): this {
    callback();
    return this;
  }

  getBufferedAmount(): number {
    return this.#reportedBytes + this.#unappliedBytes;
  }

  subscribe(topic: string): boolean {
    if (this.#closed || this.#topics.has(topic)) return !this.#closed;
    this.#topics.add(topic);
    this.#topicCounts.add(topic);
    this.#link.writer.u8(DownRecord.Subscribe).u32(this.connId).string(topic);
    this.#link.flushSoon();
    return true;
  }

  unsubscribe(topic: string): boolean {
    if (!this.#topics.delete(topic)) return false;
    this.#topicCounts.remove(topic);
    if (!this.#closed) {
      this.#link.writer.u8(DownRecord.Unsubscribe).u32(this.connId).string(topic);
      this.#link.flushSoon();
    }
    return true;
  }

  isSubscribed(topic: string): boolean {
    return this.#topics.has(topic);
  }

  getTopics(): string[] {
    return [...this.#topics];
  }

  end(code = 1000, reason = ''): void {
    if (this.#closed) return;
    this.#link.writer.u8(DownRecord.End).u32(this.connId).u32(code).string(reason);
    this.#link.flushSoon();
  }

  close(): void {
    if (this.#closed) return;
    this.#link.writer.u8(DownRecord.CloseNow).u32(this.connId);
    this.#link.flushSoon();
  }

  getRemoteAddressAsText(): ArrayBuffer {
    return encoder.encode(this.#remoteAddress).buffer as ArrayBuffer;
  }

  getRemoteAddress(): ArrayBuffer {
    return this.getRemoteAddressAsText();
  }

  /** A Buffered record: the socket's own count, and how many of our bytes it has applied since. */
  report(bufferedBytes: number, appliedBytes: number): void {
    this.#reportedBytes = bufferedBytes;
    this.#unappliedBytes = Math.max(0, this.#unappliedBytes - appliedBytes);
  }

  /** The socket closed on its thread: its topics are released; later calls do nothing. */
  markClosed(): void {
    this.#closed = true;
    for (const topic of this.#topics) this.#topicCounts.remove(topic);
    this.#topics.clear();
  }

  asUws(): WebSocket<UserData> {
    return this as unknown as WebSocket<UserData>;
  }
}
