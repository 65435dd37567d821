// Test support (not a test): a raw WebSocket client over the `ws` package and the codec, for tests
// that must send frames the real client never would (malformed, oversized, pipelined by the
// thousand) and see exactly what comes back.

import { SeededRandom } from '../../engine/layout/seeded-random';
import WebSocket from 'ws';
import { decodeServerFrame, encodeRequest, type ResponseFrame, type WireOp } from '../codec';

export interface CloseInfo {
  code: number;
  reason: string;
}

export class RawWsClient {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (frame: ResponseFrame) => void>();
  /** Responses whose id the server could not read (null id), in arrival order. */
  readonly #anonymous: ((frame: ResponseFrame) => void)[] = [];
  readonly closed: Promise<CloseInfo>;
  #nextId = 1;
  /** Every response, in arrival order (ids only), for order checks. */
  readonly arrivals: (number | null)[] = [];
  /** Frames nobody waited for, or that were not responses: a test asserts this stays empty. */
  readonly unexpected: string[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => {
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    socket.on('message', (data: Buffer) => this.#onMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<RawWsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { maxPayload: 256 * 1024 * 1024, headers });
      socket.binaryType = 'nodebuffer';
      socket.once('open', () => resolve(new RawWsClient(socket)));
      socket.once('error', reject);
    });
  }

  get socket(): WebSocket {
    return this.#socket;
  }

  #onMessage(bytes: Uint8Array): void {
    const frame = decodeServerFrame(bytes);
    if (frame.type !== 'response') {
      this.unexpected.push(`not a response: ${JSON.stringify(frame)}`);
      return;
    }
    this.arrivals.push(frame.id);
    if (frame.id === null) {
      const waiter = this.#anonymous.shift();
      if (waiter === undefined) {
        this.unexpected.push(`response without id, nobody waiting: status ${frame.status}`);
        return;
      }
      waiter(frame);
      return;
    }
    const waiter = this.#pending.get(frame.id);
    if (waiter === undefined) {
      this.unexpected.push(`response to unknown id ${frame.id}`);
      return;
    }
    this.#pending.delete(frame.id);
    waiter(frame);
  }

  nextId(): number {
    return this.#nextId++;
  }

  /** Sends ops as one request; resolves with its response. */
  request(ops: readonly WireOp[], id: number = this.nextId()): Promise<ResponseFrame> {
    return this.sendFrame(encodeRequest(id, ops), id);
  }

  /** Sends any bytes; resolves with the response to `id`, or the next id-less one when id is null. */
  sendFrame(bytes: Uint8Array | string, id: number | null): Promise<ResponseFrame> {
    const response = new Promise<ResponseFrame>((resolve) => {
      if (id === null) this.#anonymous.push(resolve);
      else this.#pending.set(id, resolve);
    });
    this.#socket.send(bytes, { binary: typeof bytes !== 'string' });
    return response;
  }

  get waiting(): number {
    return this.#pending.size + this.#anonymous.length;
  }

  close(): Promise<CloseInfo> {
    this.#socket.close();
    return this.closed;
  }
}

/** The one seeded generator (engine/layout/seeded-random.ts) as a function of no arguments. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}
