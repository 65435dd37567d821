// HTTP/1.0 (and 1.1) through Node's own HTTP parser, on a second port: `"legacyHttpPort"`.
//
// Why a second port: the uWS 20.30 binary Tessera runs on parses only "HTTP/1.1" request lines
// (HttpParser: memcmp(" HTTP/1.1\r\n"); the string "HTTP/1.0" is not in the binary). An HTTP/1.0
// request reaches no handler and gets no answer: uWS waits for more bytes and closes the
// connection at its idle timeout (~11 s, measured in http-fuzz.test.ts). nginx's default
// `proxy_pass` speaks HTTP/1.0 to upstreams, and so do `ab` and many health checkers. uWS offers
// no way to hand an accepted socket to another parser, so such clients are served here: the same
// route handlers (content API, /status, /metrics), the same Host check and access control, run
// through an adapter that gives them the little of uWS's HttpResponse / HttpRequest they use.
// No WebSocket here (HTTP/1.0 has no upgrade), no pipelining guarantees beyond Node's own.
//
// With "tls" configured this port speaks TLS too (the same certificate, reloaded on SIGHUP with
// setSecureContext): a token must never cross the network in clear because a client is old.
//
// HTTP/1.0 rules, kept by Node's http module: no keep-alive unless the request asks for it
// (`Connection: keep-alive`), no chunked responses (every answer here carries Content-Length).

import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { adminSnapshotPath } from './http-admin-snapshot';
import { checkTlsFiles, nodeTlsCiphers, type TlsConfig } from './tls-files';

const adminPathPrefix = '/v1/admin/';

export type RouteHandler = (res: HttpResponse, req: HttpRequest) => void;

export interface LegacyRoutes {
  status: RouteHandler;
  metrics: RouteHandler;
  /** POST /v1/admin/snapshot (http-admin-snapshot.ts). */
  snapshot: RouteHandler;
  content: RouteHandler;
  noRoute: RouteHandler;
}

/** How long a request head may take, and how long a keep-alive connection may idle (as uWS: ~10 s). */
const headersTimeoutMs = 10_000;
const keepAliveTimeoutMs = 10_000;
/** Node's default is 16 KiB; uWS's fallback buffer is 4 KiB. Between the two. */
const maxHeaderBytes = 8 * 1024;

/** The uWS HttpRequest calls the handlers make, over Node's IncomingMessage. */
class LegacyRequest {
  readonly #request: IncomingMessage;
  readonly #path: string;
  readonly #query: URLSearchParams;

  constructor(request: IncomingMessage) {
    this.#request = request;
    const target = request.url ?? '/';
    const queryStart = target.indexOf('?');
    this.#path = queryStart === -1 ? target : target.slice(0, queryStart);
    this.#query = new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1));
  }

  getHeader(name: string): string {
    const value = this.#request.headers[name];
    if (value === undefined) return '';
    return Array.isArray(value) ? value.join(', ') : value;
  }

  getUrl(): string {
    return this.#path;
  }

  getMethod(): string {
    return (this.#request.method ?? '').toLowerCase();
  }

  getCaseSensitiveMethod(): string {
    return this.#request.method ?? '';
  }

  getQuery(key?: string): string | undefined {
    if (key === undefined) return this.#query.toString();
    return this.#query.get(key) ?? undefined;
  }

  forEach(callback: (name: string, value: string) => void): void {
    const raw = this.#request.rawHeaders;
    for (let index = 0; index + 1 < raw.length; index += 2) callback((raw[index] as string).toLowerCase(), raw[index + 1] as string);
  }
}

/** A status line, header name or value as uWS takes it (a string, or its bytes in Latin-1). */
function headerText(text: string | Uint8Array): string {
  return typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('latin1');
}

/** The uWS HttpResponse calls the handlers make, over Node's ServerResponse. */
class LegacyResponse {
  readonly #request: IncomingMessage;
  readonly #response: ServerResponse;
  #onAborted: (() => void) | null = null;
  /** Body bytes given to Node's stream by tryEnd. */
  #handedBytes = 0;

  constructor(request: IncomingMessage, response: ServerResponse) {
    this.#request = request;
    this.#response = response;
    response.on('close', () => {
      if (!response.writableFinished) this.#onAborted?.();
    });
  }

  onAborted(handler: () => void): this {
    this.#onAborted = handler;
    return this;
  }

  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): this {
    const request = this.#request;
    request.on('data', (chunk: Buffer) => handler(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer, false));
    request.on('end', () => handler(new ArrayBuffer(0), true));
    return this;
  }

  cork(write: () => void): this {
    write();
    return this;
  }

  /**
   * The status, and (a record's identity 200, record-headers.ts statusBlock) the header lines
   * that follow it after CRLFs, which uWS writes byte for byte: split back for Node.
   */
  writeStatus(status: string | Uint8Array): this {
    const lines = headerText(status).split('\r\n');
    const line = lines[0]!;
    const space = line.indexOf(' ');
    this.#response.statusCode = Number(space === -1 ? line : line.slice(0, space));
    if (space !== -1) this.#response.statusMessage = line.slice(space + 1);
    for (let index = 1; index < lines.length; index++) this.#setHeaderLine(lines[index]!);
    return this;
  }

  #setHeaderLine(line: string): void {
    const colon = line.indexOf(': ');
    this.#response.setHeader(line.slice(0, colon), line.slice(colon + 2));
  }

  /**
   * uWS writes `name: value\r\n` byte for byte, and the content path writes a record's headers as
   * one preformatted block whose value carries the other lines after CRLFs (record-headers.ts):
   * here the block is split back into the headers it holds, for Node's setHeader.
   */
  writeHeader(name: string | Uint8Array, value: string | Uint8Array): this {
    const text = headerText(value);
    if (!text.includes('\r\n')) {
      this.#response.setHeader(headerText(name), text);
      return this;
    }
    const lines = text.split('\r\n');
    this.#response.setHeader(headerText(name), lines[0]!);
    for (let index = 1; index < lines.length; index++) this.#setHeaderLine(lines[index]!);
    return this;
  }

  end(body?: string | Uint8Array, closeConnection?: boolean): this {
    const bytes = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
    if (closeConnection === true) this.#response.setHeader('Connection', 'close');
    this.#response.setHeader('Content-Length', bytes.byteLength);
    this.#response.end(bytes);
    return this;
  }

  /**
   * uWS's tryEnd over Node's stream, so a body here is held against the output budget too
   * (http-output.ts). Node takes a chunk whole and buffers what the socket does not: the body is
   * handed over once (re-offered bytes are skipped) and ended, and the response counts as done
   * only once Node has flushed it all ('finish'); until then getWriteOffset is what has left the
   * process, and onWritable fires on 'finish'.
   */
  tryEnd(chunk: Uint8Array, totalBytes: number): [boolean, boolean] {
    const response = this.#response;
    if (!response.headersSent) response.setHeader('Content-Length', totalBytes);
    const chunkOffset = totalBytes - chunk.byteLength;
    const fresh = chunk.subarray(Math.max(0, this.#handedBytes - chunkOffset));
    if (fresh.byteLength > 0) {
      // A copy: the body may be a view valid only during this call (a direct read's value, as uWS
      // takes it), and Node's stream keeps what it is given until the socket has taken it.
      response.write(Buffer.from(fresh));
      this.#handedBytes += fresh.byteLength;
    }
    if (this.#handedBytes === totalBytes && !response.writableEnded) response.end();
    const done = response.writableFinished;
    return [done, done];
  }

  getWriteOffset(): number {
    return this.#handedBytes - this.#response.writableLength;
  }

  onWritable(handler: (offset: number) => boolean): this {
    this.#response.once('finish', () => handler(this.#handedBytes));
    return this;
  }

  /** Drops the connection (the output budget's sweep): onAborted runs, as with uWS. */
  close(): this {
    this.#response.destroy();
    return this;
  }

  endWithoutBody(reportedContentLength?: number, closeConnection?: boolean): this {
    if (closeConnection === true) this.#response.setHeader('Connection', 'close');
    if (typeof reportedContentLength === 'number') this.#response.setHeader('Content-Length', reportedContentLength);
    this.#response.end();
    return this;
  }
}

function route(routes: LegacyRoutes, method: string, path: string): RouteHandler {
  if (path === '/status' && (method === 'get' || method === 'head')) return routes.status;
  if (path === '/metrics' && method === 'get') return routes.metrics;
  // /v1/admin/ before /v1/: an admin path must never fall through to content as namespace "admin".
  // Only the snapshot is offered here; the replication admin routes (promote, failover) are not.
  if (path.startsWith(adminPathPrefix)) return path === adminSnapshotPath && method === 'post' ? routes.snapshot : routes.noRoute;
  if (path.startsWith('/v1/')) return routes.content;
  return routes.noRoute;
}

function tlsPair(tls: TlsConfig): { cert: Buffer; key: Buffer; ciphers: string } {
  checkTlsFiles(tls);
  return { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), ciphers: nodeTlsCiphers };
}

/** Requests a connection may have waiting behind the one running; past it the connection is closed. */
const pipelinedRequestsMax = 64;

export class LegacyHttpListener {
  readonly #server: Server | TlsServer;
  /** Per connection with a request running: the requests pipelined behind it, in order. */
  readonly #waiting = new Map<Socket, (() => void)[]>();
  readonly #tls: TlsConfig | null;

  constructor(routes: LegacyRoutes, tls: TlsConfig | null) {
    const handle = (request: IncomingMessage, response: ServerResponse): void => {
      const req = new LegacyRequest(request);
      const res = new LegacyResponse(request, response);
      route(routes, req.getMethod(), req.getUrl())(res as unknown as HttpResponse, req as unknown as HttpRequest);
    };
    // Pipelining: Node parses every request of a read at once and emits them together (it only
    // sends the answers in order). Run concurrently, a pipelined GET would overtake the PUT before
    // it (a write waits a turn, http-content.ts), so a connection's requests run one at a time: the
    // next starts when the previous response is finished or its connection gone. Its body waits
    // in Node's stream meanwhile.
    const serve = (request: IncomingMessage, response: ServerResponse): void => {
      const socket = request.socket;
      const waiting = this.#waiting.get(socket);
      const start = (): void => {
        // The client went away while this request waited: it and those behind it are dropped unrun.
        if (socket.destroyed) {
          this.#waiting.delete(socket);
          return;
        }
        response.once('close', () => {
          const queue = this.#waiting.get(socket);
          const next = queue?.shift();
          if (next === undefined) this.#waiting.delete(socket);
          else next();
        });
        handle(request, response);
      };
      if (waiting === undefined) {
        this.#waiting.set(socket, []);
        start();
      } else if (waiting.length >= pipelinedRequestsMax) {
        socket.destroy();
      } else {
        waiting.push(start);
      }
    };
    this.#tls = tls;
    this.#server = tls === null ? createServer({ maxHeaderSize: maxHeaderBytes }, serve) : createTlsServer({ maxHeaderSize: maxHeaderBytes, ...tlsPair(tls) }, serve);
    this.#server.headersTimeout = headersTimeoutMs;
    this.#server.keepAliveTimeout = keepAliveTimeoutMs;
  }

  /** Resolves with the port it listens on. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host, port, exclusive: true }, () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** Reads the certificate and key again (SIGHUP); throws, keeping the current pair, when they are bad. */
  reloadTls(): void {
    if (this.#tls === null) return;
    (this.#server as TlsServer).setSecureContext(tlsPair(this.#tls));
  }

  /** Stops accepting; connections already open are answered (Connection: close while draining). */
  stopListening(): void {
    this.#server.close();
  }

  closeAll(): void {
    this.#server.closeAllConnections();
  }
}
