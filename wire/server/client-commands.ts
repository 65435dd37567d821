// `tessera get | put | delete | scan`: one-shot calls through the WebSocket client, for use from a
// shell. get writes the raw value to stdout (pipe it anywhere); put prints the new generation; scan
// prints one key per line, or one JSON object per record with --long.

import { readFileSync } from 'node:fs';
import { scanLimitMax, ttlSecMax, valueBytesMaxHard } from '../../engine/layout/limits';
import { connect, TesseraError, type Client, type ConnectOptions } from '../client';
import { ServerError } from './server-errors';
import { diagnoseConnect } from './connect-diagnosis';

export const clientCommands = ['get', 'put', 'delete', 'scan'] as const;
export type ClientCommand = (typeof clientCommands)[number];

export interface ClientFlags {
  url: string;
  ns: string;
  ttl: string | undefined;
  contentType: string | undefined;
  limit: string | undefined;
  long: boolean;
  /** scan --sort: each page sorted by key (pages come in hash order). */
  sort?: boolean;
  /** Access token (--token or TESSERA_TOKEN), sent as Authorization: Bearer. */
  token?: string | undefined;
  /** PEM CA file to trust for wss:// (--ca). */
  caFile?: string | undefined;
}

const connectTimeoutMs = 5000;
const requestTimeoutMs = 30_000;

function usageError(message: string, command: string): never {
  throw new ServerError('Usage', `${message} (tessera ${command} --help for usage)`);
}

function wholeNumber(command: string, text: string | undefined, name: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text) || Number(text) > max) usageError(`--${name} must be a whole number in 0..${max}`, command);
  return Number(text);
}

function oneKey(command: string, positionals: string[], extraAllowed: number): string {
  const [key] = positionals;
  if (key === undefined || key === '' || positionals.length > 1 + extraAllowed) {
    usageError(`${command} takes ${extraAllowed === 0 ? 'one key' : 'a key and an optional value'}`, command);
  }
  return key;
}

/** The value of `put`: the argument, else all of stdin (bounded by the hard value limit). */
function readValue(positionals: string[]): Uint8Array {
  const argument = positionals[1];
  if (argument !== undefined) return Buffer.from(argument, 'utf8');
  const value = readFileSync(0);
  if (value.byteLength > valueBytesMaxHard) usageError(`the value on stdin is larger than ${valueBytesMaxHard} bytes`, 'put');
  return value;
}

async function withClient(flags: ClientFlags, work: (client: Client) => Promise<number>): Promise<number> {
  const { url } = flags;
  let client: Client;
  try {
    const options: ConnectOptions = { reconnect: false, connectTimeoutMs, requestTimeoutMs };
    if (flags.token !== undefined && flags.token !== '') options.token = flags.token;
    if (flags.caFile !== undefined) options.ca = readFileSync(flags.caFile);
    client = await connect(url, options);
  } catch (error: unknown) {
    process.stderr.write(`tessera: ${await connectFailure(url, error, flags)}\n`);
    return 1;
  }
  try {
    return await work(client);
  } catch (error: unknown) {
    if (!(error instanceof TesseraError)) throw error;
    process.stderr.write(`tessera: ${error.status}: ${error.message}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

/**
 * One line naming the URL once. The client reports a failed handshake as close code 1006 whatever
 * the cause; connect-diagnosis.ts tells a refusal (401, 403, 503) from nothing listening.
 */
async function connectFailure(url: string, error: unknown, flags: ClientFlags): Promise<string> {
  const reason = error instanceof Error ? error.message : String(error);
  if (!/close code 1006/.test(reason)) return reason.includes(url) ? reason : `cannot connect to ${url}: ${reason}`;
  const ca = flags.caFile === undefined ? undefined : readFileSync(flags.caFile);
  return `cannot connect to ${url}: ${await diagnoseConnect(url, { token: flags.token, ca })}`;
}

export function runClientCommand(command: ClientCommand, positionals: string[], flags: ClientFlags): Promise<number> {
  switch (command) {
    case 'get': {
      const key = oneKey('get', positionals, 0);
      return withClient(flags, async (client) => {
        const record = await client.get(flags.ns, key);
        if (record === null) return notFound(key);
        process.stdout.write(record.value);
        return 0;
      });
    }
    case 'put': {
      const key = oneKey('put', positionals, 1);
      const ttl = wholeNumber('put', flags.ttl, 'ttl', ttlSecMax);
      const value = readValue(positionals);
      return withClient(flags, async (client) => {
        const options = { ...(ttl === undefined ? {} : { ttl }), ...(flags.contentType === undefined ? {} : { contentType: flags.contentType }) };
        const { generation } = await client.put(flags.ns, key, value, options);
        process.stdout.write(`${JSON.stringify({ key, generation })}\n`);
        return 0;
      });
    }
    case 'delete': {
      const key = oneKey('delete', positionals, 0);
      return withClient(flags, async (client) => ((await client.delete(flags.ns, key)) ? 0 : notFound(key)));
    }
    case 'scan':
      if (positionals.length > 1) usageError('scan takes at most one prefix', 'scan');
      return withClient(flags, (client) => scan(client, flags, positionals[0] ?? '', wholeNumber('scan', flags.limit, 'limit', Number.MAX_SAFE_INTEGER)));
  }
}

function notFound(key: string): number {
  process.stderr.write(`tessera: NotFound: no record with key ${JSON.stringify(key)}\n`);
  return 1;
}

async function scan(client: Client, flags: ClientFlags, prefix: string, limit: number | undefined): Promise<number> {
  let remaining = limit ?? Number.POSITIVE_INFINITY;
  let cursor: string | undefined;
  while (remaining > 0) {
    const pageLimit = Math.min(scanLimitMax, remaining);
    const page = await client.scan(flags.ns, { prefix, limit: pageLimit, values: false, ...(cursor === undefined ? {} : { cursor }) });
    // Pages come in hash order; --sort orders each page by key bytes (a UTF-8 byte order).
    const records = flags.sort === true ? [...page.records].sort((left, right) => Buffer.compare(left.key, right.key)) : page.records;
    const lines = records.map((record) => {
      const key = Buffer.from(record.key).toString('utf8');
      if (!flags.long) return key;
      const { generation, expiry, lastModified, contentType } = record;
      return JSON.stringify({ key, generation, expiry, lastModified, contentType });
    });
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    remaining -= page.records.length;
    if (page.cursor === null) break;
    cursor = page.cursor;
  }
  return 0;
}
