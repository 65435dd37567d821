// Test support: a tiny Tessera server over `ws` that decodes requests with the codec and answers
// from a Map, with knobs to hold responses, drop connections and count frames. The real server's
// end-to-end tests live with the server (wire/server).

import type { RecordMeta } from '../../engine/layout/types';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Status } from '../../engine/layout/status';
import type { OpResult, ScannedRecord } from '../../engine/layout/types';
import { decodeRequest } from '../codec/decode-request';
import { encodeEvent } from '../codec/encode-event';
import { encodeRequestFailure, encodeResponse } from '../codec/encode-response';
import type { EventFrame, ResultInput, WireOp } from '../codec/wire-types';

interface StoredRecord extends RecordMeta {
  key: Uint8Array;
  value: Uint8Array;
}

const missing: OpResult = { status: Status.NotFound, value: null, created: false, generation: 0, expiry: 0, lastModified: 0, contentType: '' };

function storeKey(ns: string, key: Uint8Array | string): string {
  const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  return `${ns}\u0000${Buffer.from(bytes).toString('hex')}`;
}

export class FakeServer {
  readonly records = new Map<string, StoredRecord>();
  /** Request frames received, all connections together. */
  framesReceived = 0;
  /** While true, responses wait in `held` until release(). */
  holding = false;
  /** The next frame answered gets these bytes instead of a response. */
  garbageOnce: Uint8Array | null = null;
  readonly #held: { socket: WebSocket; frame: Uint8Array }[] = [];
  readonly #server: WebSocketServer;
  readonly url: string;
  connections = 0;

  private constructor(server: WebSocketServer) {
    this.#server = server;
    const address = server.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${address.port}/ws`;
    server.on('connection', (socket) => {
      this.connections += 1;
      socket.on('message', (data: Buffer) => this.#answer(socket, new Uint8Array(data)));
    });
  }

  static start(port = 0): Promise<FakeServer> {
    return new Promise((resolve, reject) => {
      const server = new WebSocketServer({ host: '127.0.0.1', port });
      server.once('listening', () => resolve(new FakeServer(server)));
      server.once('error', reject);
    });
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Sends held responses, in reverse order to show that ids, not order, match them. */
  release(): void {
    this.holding = false;
    for (const { socket, frame } of this.#held.splice(0).reverse()) socket.send(frame);
  }

  /** Drops every client connection abruptly (no closing handshake), as a crash would. */
  dropConnections(): void {
    this.#held.length = 0;
    for (const socket of this.#server.clients) socket.terminate();
  }

  sendEvent(event: EventFrame): void {
    if ('gap' in event.change) throw new Error('the fake sends changes only');
    for (const socket of this.#server.clients) socket.send(encodeEvent(event.subId, event.change));
  }

  close(): Promise<void> {
    for (const socket of this.#server.clients) socket.terminate();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #answer(socket: WebSocket, bytes: Uint8Array): void {
    this.framesReceived += 1;
    const decoded = decodeRequest(bytes);
    let frame: Uint8Array;
    if (this.garbageOnce !== null) {
      frame = this.garbageOnce;
      this.garbageOnce = null;
    } else if (!decoded.ok) {
      frame = encodeRequestFailure(decoded.id, decoded.status, decoded.message);
    } else {
      frame = encodeResponse(decoded.id, decoded.ops.map((op) => this.#run(op)));
    }
    if (this.holding) this.#held.push({ socket, frame });
    else socket.send(frame);
  }

  #run(op: WireOp): ResultInput {
    switch (op.op) {
      case 'get':
      case 'head': {
        const record = this.records.get(storeKey(op.ns, op.key));
        if (record === undefined) return missing;
        return { status: Status.Ok, value: op.op === 'get' ? record.value : null, created: false, ...metaOf(record) };
      }
      case 'put': {
        const id = storeKey(op.ns, op.key);
        const existing = this.records.get(id);
        if (op.mode === 'create' && existing !== undefined) return { ...missing, status: Status.AlreadyExists };
        if (op.mode === 'update' && existing === undefined) return missing;
        if (op.ifGeneration !== undefined && op.ifGeneration !== 0 && op.ifGeneration !== existing?.generation) {
          return { ...missing, status: Status.GenerationMismatch };
        }
        const key = typeof op.key === 'string' ? new TextEncoder().encode(op.key) : op.key.slice();
        const value = typeof op.value === 'string' ? new TextEncoder().encode(op.value) : op.value.slice();
        const record: StoredRecord = {
          key,
          value,
          generation: (existing?.generation ?? 0) + 1,
          expiry: op.ttl === undefined || op.ttl === 0 ? 0 : 2_000_000_000,
          lastModified: 1_767_225_600_000,
          contentType: op.contentType ?? '',
        };
        this.records.set(id, record);
        return { status: Status.Ok, value: null, created: existing === undefined, ...metaOf(record) };
      }
      case 'delete': {
        const id = storeKey(op.ns, op.key);
        const existing = this.records.get(id);
        if (existing === undefined) return missing;
        if (op.ifGeneration !== undefined && op.ifGeneration !== 0 && op.ifGeneration !== existing.generation) {
          return { ...missing, status: Status.GenerationMismatch };
        }
        this.records.delete(id);
        return { status: Status.Ok, value: null, created: false, ...metaOf(existing) };
      }
      case 'touch': {
        const record = this.records.get(storeKey(op.ns, op.key));
        if (record === undefined) return missing;
        record.expiry = op.ttl === undefined || op.ttl === 0 ? 0 : 2_000_000_000;
        return { status: Status.Ok, value: null, created: false, ...metaOf(record) };
      }
      case 'scan':
        return this.#scan(op.ns, op.limit ?? 100, op.cursor);
      case 'subscribe':
      case 'unsubscribe':
        return { status: Status.InvalidArgument, message: 'the fake server has no subscriptions' };
      case 'purge':
        return { status: Status.InvalidArgument, message: 'the fake server has no purge' };
    }
  }

  /** Pages in key order; the cursor is the index of the next record. */
  #scan(ns: string, limit: number, cursor: string | undefined): ResultInput {
    const matching = [...this.records.entries()].filter(([id]) => id.startsWith(`${ns}\u0000`)).sort(([a], [b]) => (a < b ? -1 : 1));
    const start = cursor === undefined ? 0 : Number(cursor);
    if (!Number.isInteger(start) || start < 0) return { status: Status.InvalidCursor };
    const records: ScannedRecord[] = matching.slice(start, start + limit).map(([, record]) => ({ key: record.key, value: record.value, ...metaOf(record) }));
    const next = start + limit;
    return { records, cursor: next < matching.length ? String(next) : null };
  }
}

function metaOf(record: StoredRecord): RecordMeta {
  return { generation: record.generation, expiry: record.expiry, lastModified: record.lastModified, contentType: record.contentType };
}
