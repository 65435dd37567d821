// Why `tessera get | put | delete | scan` could not connect, in one line. A browser-grade WebSocket
// reports every failed handshake as close code 1006, whether nothing listens, the name does not
// resolve, or the server refused the upgrade (401 without a token, 403, 503 past maxConnections).
// So after a failure the CLI makes one more handshake with `ws`, which does tell them apart, and
// reads the refusal's JSON body ({ error, message }) for the server's own words.

import WebSocket from 'ws';
import { reasonOf } from './server-errors';

const bodyBytesMax = 4096;

export interface DiagnosisOptions {
  token?: string | undefined;
  ca?: Buffer | undefined;
  timeoutMs?: number;
}

export function diagnoseConnect(url: string, options: DiagnosisOptions = {}): Promise<string> {
  return new Promise((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, {
        handshakeTimeout: options.timeoutMs ?? 3000,
        ...(options.token === undefined || options.token === '' ? {} : { headers: { Authorization: `Bearer ${options.token}` } }),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      });
    } catch (error: unknown) {
      resolve(reasonOf(error));
      return;
    }
    socket.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        if (bytes < bodyBytesMax) chunks.push(chunk);
        bytes += chunk.byteLength;
      });
      response.on('end', () => resolve(refusal(response.statusCode ?? 0, Buffer.concat(chunks).subarray(0, bodyBytesMax).toString('utf8'))));
      response.on('error', () => resolve(refusal(response.statusCode ?? 0, '')));
    });
    socket.on('error', (error: Error & { code?: string }) => resolve(networkFailure(error)));
    socket.on('open', () => {
      socket.close();
      resolve('it accepts connections now (a passing failure?): try again');
    });
  });
}

function refusal(httpCode: number, body: string): string {
  let detail = '';
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === 'string') detail = `: ${parsed.error}${typeof parsed.message === 'string' ? ` (${parsed.message})` : ''}`;
  } catch {
    detail = '';
  }
  const hint = httpCode === 401 ? '; pass --token or set TESSERA_TOKEN' : httpCode === 404 ? '; is this the /v1/ws endpoint?' : '';
  return `the server refused the connection with HTTP ${httpCode}${detail}${hint}`;
}

function networkFailure(error: Error & { code?: string }): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'nothing listens there (is a server running? --url or TESSERA_URL names another)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'ECONNRESET':
      return 'the connection was reset (a TLS server reached with ws://, or a proxy in the way?)';
    default:
      return error.message;
  }
}
