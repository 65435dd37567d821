// Test support (not a test): a raw WebSocket subscriber over `ws` and the codec, for end-to-end
// tests that must see frames exactly as the server sends them (sub ids, answers' cursors) or must
// stop reading its socket altogether.

import WebSocket from 'ws';
import { decodeServerFrame, encodeRequest, type EventFrame, type ResponseFrame, type WireOp } from '../../codec';

export class RawSubscriber {
  readonly socket: WebSocket;
  readonly events: EventFrame[] = [];
  readonly responses = new Map<number, ResponseFrame>();
  readonly closed: Promise<{ code: number; reason: string }>;
  #nextId = 1;
  #waiters: (() => void)[] = [];
  /** Bytes of frames received. */
  bytesReceived = 0;
  /** EventBatch frames received (several events in one frame). */
  batchFrames = 0;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('message', (data: Buffer) => {
      this.bytesReceived += data.byteLength;
      const frame = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      if (frame.type === 'event') this.events.push(frame);
      else if (frame.type === 'events') {
        this.batchFrames++;
        this.events.push(...frame.events);
      }
      else if (frame.type === 'response' && frame.id !== null) this.responses.set(frame.id, frame);
      for (const waiter of this.#waiters.splice(0)) waiter();
    });
  }

  static open(url: string): Promise<RawSubscriber> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { maxPayload: 256 * 1024 * 1024 });
      socket.binaryType = 'nodebuffer';
      socket.once('open', () => resolve(new RawSubscriber(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends ops as one request; resolves with the response (bounded by timeoutMs). */
  async request(ops: readonly WireOp[], timeoutMs = 10_000): Promise<ResponseFrame> {
    const id = this.#nextId++;
    this.socket.send(encodeRequest(id, ops));
    await this.until(() => this.responses.has(id), timeoutMs);
    return this.responses.get(id) as ResponseFrame;
  }

  /** Resolves once condition() holds, checked after every frame; rejects after timeoutMs. */
  until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== check);
        reject(new Error(`condition not met within ${timeoutMs} ms (${this.events.length} events)`));
      }, timeoutMs);
      const check = (): void => {
        if (condition()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.#waiters.push(check);
        }
      };
      this.#waiters.push(check);
    });
  }

  /** Stops reading the TCP socket: the server's output piles up in its buffers. */
  pause(): void {
    (this.socket as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  resume(): void {
    (this.socket as unknown as { _socket: { resume(): void } })._socket.resume();
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }

  terminate(): void {
    this.socket.terminate();
  }
}
