// Test support (not a test): HTTP over a raw TCP socket, for tests that send what no HTTP client
// would (malformed headers, several requests in one write, HTTP/1.0) and read exactly what comes
// back. Every wait is bounded by a timeout.

import { connect, type Socket } from 'node:net';

export interface RawResponse {
  /** "HTTP/1.1" or "HTTP/1.0". */
  version: string;
  status: number;
  /** Header names lower-cased; a repeated header keeps every value. */
  headers: Map<string, string[]>;
  body: Buffer;
}

export interface RawExchange {
  /** The responses parsed from everything the server sent, in order. */
  responses: RawResponse[];
  /** Every byte the server sent. */
  raw: Buffer;
  /** True when the server closed the connection (false: the read timed out with it still open). */
  closed: boolean;
}

const readTimeoutMsDefault = 2000;

export function header(response: RawResponse, name: string): string | undefined {
  return response.headers.get(name.toLowerCase())?.[0];
}

/**
 * Connects, writes `request` in one write, and reads until the server closes, `expectResponses`
 * complete responses have arrived, or `timeoutMs` passes with nothing new.
 */
export function rawHttp(port: number, request: string | Buffer, options: { expectResponses?: number; timeoutMs?: number; host?: string } = {}): Promise<RawExchange> {
  const timeoutMs = options.timeoutMs ?? readTimeoutMsDefault;
  return new Promise((resolve, reject) => {
    const socket = connect(port, options.host ?? '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    let timer: NodeJS.Timeout | null = null;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      if (timer !== null) clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(chunks);
      resolve({ responses: parseResponses(raw), raw, closed });
    };
    const arm = (): void => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => finish(false), timeoutMs);
    };
    socket.on('connect', () => {
      socket.write(request);
      arm();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      arm();
      if (options.expectResponses !== undefined && parseResponses(Buffer.concat(chunks)).length >= options.expectResponses) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the server answered is a close, not a test failure.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish(true);
      else if (!settled) {
        settled = true;
        reject(error);
      }
    });
  });
}

/** Opens a socket and keeps it, for tests that write in several steps. */
export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Parses as many complete responses as `raw` holds. A body is delimited by Content-Length, or by
 * chunked encoding; 204, 304 and the responses `bodiless` names by index (answers to HEAD) have none.
 */
export function parseResponses(raw: Buffer, bodiless: (index: number) => boolean = () => false): RawResponse[] {
  const responses: RawResponse[] = [];
  let offset = 0;
  for (let guard = 0; guard < 10_000 && offset < raw.length; guard++) {
    const headEnd = raw.indexOf('\r\n\r\n', offset);
    if (headEnd === -1) break;
    const lines = raw.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const statusMatch = /^(HTTP\/1\.[01]) (\d{3})/.exec(lines[0] ?? '');
    if (statusMatch === null) break;
    const headers = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const values = headers.get(name) ?? [];
      values.push(line.slice(colon + 1).trim());
      headers.set(name, values);
    }
    const status = Number(statusMatch[2]);
    let bodyStart = headEnd + 4;
    let body: Buffer;
    const length = headers.get('content-length')?.[0];
    if (headers.get('transfer-encoding')?.[0]?.toLowerCase() === 'chunked') {
      const chunked = parseChunked(raw, bodyStart);
      if (chunked === null) break;
      body = chunked.body;
      bodyStart = chunked.end;
    } else if (length !== undefined && status !== 304 && status !== 204 && !bodiless(responses.length)) {
      const end = bodyStart + Number(length);
      if (end > raw.length) break;
      body = raw.subarray(bodyStart, end);
      bodyStart = end;
    } else {
      body = Buffer.alloc(0);
    }
    responses.push({ version: statusMatch[1] ?? '', status, headers, body });
    offset = bodyStart;
  }
  return responses;
}

function parseChunked(raw: Buffer, start: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let offset = start;
  for (let guard = 0; guard < 100_000; guard++) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd === -1) return null;
    const size = parseInt(raw.subarray(offset, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return null;
    const dataStart = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = raw.indexOf('\r\n', dataStart);
      return trailerEnd === -1 ? null : { body: Buffer.concat(parts), end: trailerEnd + 2 };
    }
    if (dataStart + size + 2 > raw.length) return null;
    parts.push(raw.subarray(dataStart, dataStart + size));
    offset = dataStart + size + 2;
  }
  return null;
}
