// `tessera snapshot [--url URL]`: asks a running node to write a snapshot now (POST
// /v1/admin/snapshot) and prints its answer, one JSON line: { lsn, path, records, bytes, ms }.
// Together with a copy of the data dir this is a backup (README "Backup and restore").
//
// The node is named by an HTTP URL (default http://127.0.0.1:7070). TESSERA_URL, which the other
// client commands read as a WebSocket URL (ws://host:port/v1/ws), gives its host and port too.

import { ServerError } from './server-errors';

export const snapshotUrlDefault = 'http://127.0.0.1:7070';
/** A snapshot of a large node takes a while; a node that does not answer at all is a failure. */
const snapshotTimeoutMs = 10 * 60 * 1000;

/** The node's HTTP origin from --url or TESSERA_URL (http, https, ws or wss; any path is dropped). */
export function snapshotOrigin(url: string | undefined, env: Readonly<Record<string, string | undefined>>): string {
  const text = url ?? (env['TESSERA_URL'] === undefined || env['TESSERA_URL'] === '' ? snapshotUrlDefault : env['TESSERA_URL']);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new ServerError('Usage', `--url must be a URL such as ${snapshotUrlDefault}, got ${JSON.stringify(text)}\nRun tessera --help for usage.`);
  }
  const scheme = { 'http:': 'http:', 'ws:': 'http:', 'https:': 'https:', 'wss:': 'https:' }[parsed.protocol];
  if (scheme === undefined) throw new ServerError('Usage', `--url must be an http(s) or ws(s) URL, got ${JSON.stringify(text)}\nRun tessera --help for usage.`);
  return `${scheme}//${parsed.host}`;
}

/** Resolves with the exit code: 0 and the report on stdout, or 1 and one plain line on stderr. */
export async function runSnapshotCommand(origin: string): Promise<number> {
  const target = `${origin}/v1/admin/snapshot`;
  let response: Response;
  try {
    // With access control on, a snapshot needs an admin token: TESSERA_TOKEN, as the other commands take it.
    const token = process.env['TESSERA_TOKEN'];
    const headers: Record<string, string> = token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` };
    response = await fetch(target, { method: 'POST', headers, signal: AbortSignal.timeout(snapshotTimeoutMs) });
  } catch (error: unknown) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`tessera: cannot reach ${origin}: ${cause}\n`);
    return 1;
  }
  const text = await response.text();
  if (response.status !== 200) {
    process.stderr.write(`tessera: snapshot refused (HTTP ${response.status}): ${describeError(text)}\n`);
    return 1;
  }
  process.stdout.write(`${text.trim()}\n`);
  return 0;
}

/** `Status: message` from a typed error body, or the raw text when it is not one. */
function describeError(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') return `${body.error}: ${typeof body.message === 'string' ? body.message : ''}`;
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 200);
}
