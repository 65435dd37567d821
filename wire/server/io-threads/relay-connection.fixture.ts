// Test support (not a test): connections to a server run with ioThreads 2 that are known to have
// landed on a given I/O thread: 'relay' (thread 1, whose requests are relayed to the front) or
// 'front' (thread 0). The kernel spreads connections over the threads (SO_REUSEPORT), so these open
// one connection at a time until one lands where asked, classified deterministically from /status:
//
// - a WebSocket: /status ioThreads[1].connections before and after it opened (after one request
//   answered on it, so the front has seen its open), and messagesRelayed, which that request (a
//   scan: always relayed) raises only on the relay thread; the two must agree, else the attempt
//   is discarded;
// - an HTTP keep-alive socket: two /status requests sent one after the other on the socket
//   itself: the relay thread's httpRequestsRelayed counts each, the front's neither, so the second
//   answer is one more than the first only on the relay thread.
//
// The tests using these run one thing at a time (no other traffic while a connection is
// classified). Every search is bounded (attemptsMax). A WebSocket not kept is closed at once, and
// the next attempt waits until /status no longer counts it (a close landing mid-attempt would move
// the counters; and so a search never holds more than one connection beyond those kept, which
// matters under a small maxConnections). HTTP connections not kept are closed when the search ends.

import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { connect, type Client, type ConnectOptions } from '../../client';
import { RawWsClient } from '../raw-ws.fixture';
import type { RawResponse } from '../raw-http.fixture';

export type IoThreadRole = 'front' | 'relay';

/** The relay thread's counters in /status (ioThreads[1]), and the WebSockets open on all threads. */
export interface RelayCounters {
  /** /status connections: WebSockets open over every thread (what maxConnections counts). */
  allConnections: number;
  connections: number;
  httpInFlight: number;
  messagesRelayed: number;
  httpRequestsRelayed: number;
}

export interface ServerAddress {
  httpUrl: string;
  wsUrl: string;
  port: number;
}

/** 64 connections all landing on one of two threads: about 1 chance in 2^63. */
const attemptsMaxDefault = 64;
const responseTimeoutMs = 10_000;

function countersOf(status: unknown): RelayCounters {
  const threads = (status as { ioThreads?: unknown }).ioThreads;
  assert.ok(Array.isArray(threads) && threads.length >= 2, `/status lists the I/O threads: ${JSON.stringify(status)}`);
  const relay = threads[1] as Partial<RelayCounters> & { role?: string };
  assert.equal(relay.role, 'relay');
  return {
    allConnections: (status as { connections?: number }).connections ?? -1,
    connections: relay.connections ?? -1,
    httpInFlight: relay.httpInFlight ?? -1,
    messagesRelayed: relay.messagesRelayed ?? -1,
    httpRequestsRelayed: relay.httpRequestsRelayed ?? -1,
  };
}

/** /status's counters of thread 1 (the request itself may land on either thread). */
export async function relayCounters(httpUrl: string, headers: Record<string, string> = {}): Promise<RelayCounters> {
  const response = await fetch(`${httpUrl}/status`, { headers });
  assert.equal(response.status, 200, '/status answers');
  return countersOf(await response.json());
}

/** How to open, exercise (one request answered) and close one kind of WebSocket connection. */
export interface WsCandidate<C> {
  open(): Promise<C>;
  probe(connection: C): Promise<unknown>;
  close(connection: C): Promise<unknown>;
}

export interface FindOptions {
  /** Headers for the /status requests (a token when access control is on). */
  statusHeaders?: Record<string, string>;
  attemptsMax?: number;
}

/** Opens WebSockets one at a time until one has landed on `role`'s thread. */
export async function openWsOn<C>(role: IoThreadRole, httpUrl: string, candidate: WsCandidate<C>, options: FindOptions = {}): Promise<C> {
  for (let attempt = 0; attempt < (options.attemptsMax ?? attemptsMaxDefault); attempt++) {
    const before = await relayCounters(httpUrl, options.statusHeaders);
    const connection = await candidate.open();
    await candidate.probe(connection);
    const after = await relayCounters(httpUrl, options.statusHeaders);
    const opened = after.connections - before.connections;
    const relayed = after.messagesRelayed - before.messagesRelayed;
    const landed: IoThreadRole | null = opened === 1 && relayed >= 1 ? 'relay' : opened === 0 && relayed === 0 ? 'front' : null;
    if (landed === role) return connection;
    await candidate.close(connection);
    const settled = await waitFor(async () => {
      const now = await relayCounters(httpUrl, options.statusHeaders);
      return now.allConnections <= before.allConnections && now.connections <= before.connections;
    });
    assert.ok(settled, 'a WebSocket closed by the search is still counted in /status');
  }
  throw new Error(`no WebSocket landed on the ${role} thread in ${options.attemptsMax ?? attemptsMaxDefault} attempts`);
}

/** The real client (tessera/client), connected on `role`'s thread. probeNs: a namespace to head a key in. */
export function openClientOn(role: IoThreadRole, server: ServerAddress, options: ConnectOptions & FindOptions & { probeNs?: string } = {}): Promise<Client> {
  const { statusHeaders, attemptsMax, probeNs, ...connectOptions } = options;
  return openWsOn(role, server.httpUrl, {
    open: () => connect(server.wsUrl, { reconnect: false, ...connectOptions }),
    // Any answer will do (a refusal too). A scan, not a get or head: an I/O thread answers those
    // itself from the shared tables (local-reads.ts), and messagesRelayed would not count them.
    probe: (client) => client.scan(probeNs ?? 'content', { prefix: 'relay-probe/', limit: 1 }).catch(() => null),
    close: (client) => client.close(),
  }, { ...(statusHeaders === undefined ? {} : { statusHeaders }), ...(attemptsMax === undefined ? {} : { attemptsMax }) });
}

/** A raw WebSocket (raw-ws.fixture.ts) on `role`'s thread, for close codes and frames the client hides. */
export function openRawWsOn(role: IoThreadRole, server: ServerAddress, headers: Record<string, string> = {}, options: FindOptions = {}): Promise<RawWsClient> {
  return openWsOn(role, server.httpUrl, {
    open: () => RawWsClient.open(server.wsUrl, headers),
    probe: (client) => client.request([{ op: 'scan', ns: 'content', prefix: 'relay-probe/', limit: 1 }]),
    close: async (client) => {
      client.socket.terminate();
      await client.closed;
    },
  }, options);
}

interface Waiter {
  bodiless: boolean;
  resolve: (response: RawResponse) => void;
  reject: (error: Error) => void;
}

/**
 * One keep-alive HTTP/1.1 connection over a raw socket: requests written as given, responses parsed
 * in order (by Content-Length; 1xx, 204, 304 and answers to HEAD have no body). Every wait is
 * bounded. `socket` is the socket itself, for tests that pause or destroy it.
 */
export class HttpConnection {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  readonly #waiters: Waiter[] = [];
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes the response being read needs before it can be parsed again (0: unknown). */
  #needed = 0;
  #closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.#closed = true;
      for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('the connection closed before the response'));
    });
  }

  static open(port: number): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = netConnect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new HttpConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes one request (head and body as given); resolves with its response. */
  request(bytes: string | Buffer, options: { bodiless?: boolean } = {}): Promise<RawResponse> {
    const [response] = this.pipeline([bytes], [options.bodiless === true]);
    return response as Promise<RawResponse>;
  }

  /** Writes several requests in one write; one promise per response, in order. */
  pipeline(requests: (string | Buffer)[], bodiless: boolean[] = []): Promise<RawResponse>[] {
    const responses = requests.map((_, index) => new Promise<RawResponse>((resolve, reject) => {
      if (this.#closed) {
        reject(new Error('the connection is closed'));
        return;
      }
      const timer = setTimeout(() => reject(new Error(`no response within ${responseTimeoutMs} ms`)), responseTimeoutMs);
      this.#waiters.push({
        bodiless: bodiless[index] === true,
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    }));
    this.socket.write(Buffer.concat(requests.map((request) => (typeof request === 'string' ? Buffer.from(request, 'latin1') : request))));
    return responses;
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    // A large body arrives in many chunks: parse once it can be whole, not on every chunk.
    for (let guard = 0; guard < 1000 && this.#waiters.length > 0 && this.#buffered >= this.#needed; guard++) {
      const raw = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
      this.#chunks = [raw];
      const parsed = parseOne(raw, (this.#waiters[0] as Waiter).bodiless);
      if ('needed' in parsed) {
        this.#needed = parsed.needed;
        return;
      }
      this.#needed = 0;
      const rest = raw.subarray(parsed.end);
      this.#chunks = rest.length === 0 ? [] : [rest];
      this.#buffered = rest.length;
      (this.#waiters.shift() as Waiter).resolve(parsed.response);
    }
  }
}

function parseOne(raw: Buffer, bodiless: boolean): { response: RawResponse; end: number } | { needed: number } {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd === -1) return { needed: raw.length + 1 };
  const lines = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const statusMatch = /^(HTTP\/1\.[01]) (\d{3})/.exec(lines[0] ?? '');
  if (statusMatch === null) throw new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`);
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  const status = Number(statusMatch[2]);
  if (headers.get('transfer-encoding') !== undefined) throw new Error('HttpConnection reads Content-Length bodies only');
  const noBody = bodiless || status < 200 || status === 204 || status === 304;
  const length = noBody ? 0 : Number(headers.get('content-length')?.[0] ?? '0');
  const end = headEnd + 4 + length;
  if (raw.length < end) return { needed: end };
  return { response: { version: statusMatch[1] ?? '', status, headers, body: raw.subarray(headEnd + 4, end) }, end };
}

/** The relay thread's counters, from a /status answered on this connection (on its thread). */
export async function countersVia(connection: HttpConnection, headers: Record<string, string> = {}): Promise<RelayCounters> {
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const response = await connection.request(`GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n${head}\r\n`);
  assert.equal(response.status, 200, `/status answers: ${response.body.toString()}`);
  return countersOf(JSON.parse(response.body.toString()));
}

/** An HTTP keep-alive connection on `role`'s thread. */
export async function openHttpOn(role: IoThreadRole, port: number, options: FindOptions = {}): Promise<HttpConnection> {
  const discarded: HttpConnection[] = [];
  const headers = options.statusHeaders ?? {};
  try {
    for (let attempt = 0; attempt < (options.attemptsMax ?? attemptsMaxDefault); attempt++) {
      const connection = await HttpConnection.open(port);
      const first = (await countersVia(connection, headers)).httpRequestsRelayed;
      const second = (await countersVia(connection, headers)).httpRequestsRelayed;
      const landed: IoThreadRole = second - first >= 1 ? 'relay' : 'front';
      if (landed === role) return connection;
      discarded.push(connection);
    }
  } finally {
    await Promise.all(discarded.map((connection) => connection.close()));
  }
  throw new Error(`no HTTP connection landed on the ${role} thread in ${options.attemptsMax ?? attemptsMaxDefault} attempts`);
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes; false then. */
export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
