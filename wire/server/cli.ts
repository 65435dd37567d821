// The `tessera` command line: `serve` runs a node; `get`, `put`, `delete` and `scan` talk to one
// through the WebSocket client, for quick use from a shell; `snapshot` asks a node for a snapshot
// over HTTP. Exit codes: 0 ok, 1 failure (including
// a missing key), 2 usage error.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runClientCommand, clientCommands, type ClientCommand, type ClientFlags } from './client-commands';
import { tesseraVersion } from './package-info';
import { exitCodes, runServe, type ServeHooks } from './serve-command';
import { runFailover, runPromote } from './replication/promote-command';
import { ServerError, reasonOf } from './server-errors';
import { createTokenEntry, formatTokenCreated, parseRoles } from './token-command';
import { runSnapshotCommand, snapshotOrigin } from './snapshot-command';

export const usage = `tessera ${tesseraVersion}: an in-memory content store

Usage:
  tessera serve [--host HOST] [--port PORT] [--config FILE] [--log-level LEVEL] [--insecure]
                [--data-dir DIR] [--fsync always|everysec|never] [--no-persistence]
                [--replica-of ws://HOST:PORT/v1/ws] [--replicas N]
  tessera token create --role NAMESPACE=ROLE [--role ...] [--name NAME]
  tessera get <key> [--ns NS] [--url URL]
  tessera put <key> [value] [--ns NS] [--ttl SECONDS] [--content-type TYPE] [--url URL]
                            (no value argument: the value is read from stdin)
  tessera delete <key> [--ns NS] [--url URL]
  tessera scan [prefix] [--ns NS] [--limit N] [--long] [--url URL]
  tessera snapshot [--url URL]
  tessera promote [--url HTTP_URL]   make a replica the primary (new epoch and history id)
  tessera failover --to HTTP_URL [--url HTTP_URL]
                            coordinated switchover: pause writes, wait for the replica, demote
                            this primary (it follows the replica), promote the replica
  tessera --help | --version

serve:
  Runs a node: HTTP content API and WebSocket endpoint (/v1/ws) on one port.
  Defaults: 127.0.0.1:7070, one namespace "content" (store mode), persisted to ./data with
  fsync always (a write is acknowledged once its WAL record is fdatasynced).
  --data-dir DIR     where the WAL, snapshots and history id live (one server per dir)
  --fsync POLICY     always (ack after fdatasync), everysec or never (ack after write(): survives
                     a process crash, not a power loss)
  --no-persistence   a pure memory node: nothing is written, a restart starts empty
  --replica-of URL   a read-only replica of that primary: it streams the primary's change log
                     (catch-up from memory, the WAL or a full snapshot) and refuses writes (ReadOnly,
                     HTTP 421); env TESSERA_REPLICA_OF, config "replicaOf"
  --replicas N       also run N replica processes of this node (ports PORT+1.., data dirs
                     DIR-replica-1..), printed at start and stopped with it
  Environment (flags win): TESSERA_HOST, TESSERA_PORT, TESSERA_CONFIG, TESSERA_LOG_LEVEL,
  TESSERA_DATA_DIR, TESSERA_FSYNC.
  Config file (JSON): { "host", "port", "logLevel", "engine": { "shards", "namespaces": [...] },
                        "persistence": { "dataDir", "fsync", "snapshotIntervalSec",
                                         "walSegmentBytes" } | false,
                        "limits": { "frameBytesMax", "requestsInFlightPerConnectionMax", ... } }
  SIGTERM / SIGINT: stop accepting, answer what is in flight, close.
  Protected mode: bound to a non-loopback address with no access tokens configured, serve refuses
  to start; add a token (tessera token create) or pass --insecure to serve without access control.

token create:
  Prints a new random access token and the entry for the config file's "auth": { "tokens": [...] }
  (only the token's SHA-256 is kept there). ROLE is read, write or admin; NAMESPACE "*" = all.
  e.g. tessera token create --role content=write --role '*=read' --name cdn

get, put, delete, scan:
  --url URL        the node's WebSocket endpoint (default ws://127.0.0.1:7070/v1/ws, or TESSERA_URL)
  --ns NS          the namespace (default content)
  --token TOKEN    access token (or TESSERA_TOKEN), sent as Authorization: Bearer
  --ca FILE        PEM CA certificate to trust for a wss:// URL
  get prints the value to stdout; scan prints one key per line (--long: JSON with metadata).

snapshot:
  Asks a running node to write a snapshot now (POST /v1/admin/snapshot) and prints
  { lsn, path, records, bytes, ms }. A snapshot plus a copy of the data dir is a backup.
  --url URL        the node (default http://127.0.0.1:7070; TESSERA_URL's host and port if set)
`;

const serveOptions = {
  host: { type: 'string' },
  port: { type: 'string' },
  config: { type: 'string' },
  'log-level': { type: 'string' },
  'data-dir': { type: 'string' },
  fsync: { type: 'string' },
  'no-persistence': { type: 'boolean' },
  'replica-of': { type: 'string' },
  replicas: { type: 'string' },
  insecure: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const tokenOptions = {
  role: { type: 'string', multiple: true },
  name: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const clientOptions = {
  url: { type: 'string' },
  ns: { type: 'string' },
  ttl: { type: 'string' },
  'content-type': { type: 'string' },
  limit: { type: 'string' },
  long: { type: 'boolean' },
  token: { type: 'string' },
  ca: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const snapshotOptions = {
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

function usageError(message: string): never {
  throw new ServerError('Usage', `${message}\nRun tessera --help for usage.`);
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error: unknown) {
    return usageError(reasonOf(error));
  }
}

function isClientCommand(command: string): command is ClientCommand {
  return (clientCommands as readonly string[]).includes(command);
}

async function dispatch(argv: string[], hooks: ServeHooks): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(usage);
    return command === undefined ? exitCodes.usage : exitCodes.ok;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${tesseraVersion}\n`);
    return exitCodes.ok;
  }
  if (command === 'serve') {
    const { values, positionals } = parse(rest, serveOptions);
    if (values.help === true) return writeUsage();
    if (positionals.length > 0) usageError(`serve takes no arguments, got ${positionals.join(' ')}`);
    return runServe({
      host: values.host, port: values.port, config: values.config, logLevel: values['log-level'], insecure: values.insecure === true,
      dataDir: values['data-dir'], fsync: values.fsync, noPersistence: values['no-persistence'],
      replicaOf: values['replica-of'], replicas: values.replicas,
    }, hooks);
  }
  if (command === 'token') {
    const { values, positionals } = parse(rest, tokenOptions);
    if (values.help === true) return writeUsage();
    if (positionals.length !== 1 || positionals[0] !== 'create') usageError('usage: tessera token create --role NAMESPACE=ROLE [--role ...] [--name NAME]');
    const created = createTokenEntry(values.name ?? `token-${new Date().toISOString().slice(0, 10)}`, parseRoles(values.role ?? []));
    process.stdout.write(formatTokenCreated(created));
    return exitCodes.ok;
  }
  if (command === 'snapshot') {
    const { values, positionals } = parse(rest, snapshotOptions);
    if (values.help === true) return writeUsage();
    if (positionals.length > 0) usageError(`snapshot takes no arguments, got ${positionals.join(' ')}`);
    return runSnapshotCommand(snapshotOrigin(values.url, process.env));
  }
  if (command === 'promote') {
    const { values, positionals } = parse(rest, { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help === true) return writeUsage();
    if (positionals.length > 0) usageError(`promote takes no arguments, got ${positionals.join(' ')}`);
    return runPromote(values.url ?? process.env['TESSERA_HTTP_URL'] ?? 'http://127.0.0.1:7070');
  }
  if (command === 'failover') {
    const { values, positionals } = parse(rest, { url: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help === true) return writeUsage();
    if (positionals.length > 0 || values.to === undefined) usageError('failover takes --to HTTP_URL (the replica to promote) and no arguments');
    return runFailover(values.url ?? process.env['TESSERA_HTTP_URL'] ?? 'http://127.0.0.1:7070', values.to);
  }
  if (isClientCommand(command)) {
    const { values, positionals } = parse(rest, clientOptions);
    if (values.help === true) return writeUsage();
    const flags: ClientFlags = {
      url: values.url ?? process.env['TESSERA_URL'] ?? 'ws://127.0.0.1:7070/v1/ws',
      ns: values.ns ?? 'content',
      ttl: values.ttl,
      contentType: values['content-type'],
      limit: values.limit,
      long: values.long === true,
      token: values.token ?? process.env['TESSERA_TOKEN'],
      caFile: values.ca,
    };
    return runClientCommand(command, positionals, flags);
  }
  return usageError(`unknown command ${JSON.stringify(command)}`);
}

function writeUsage(): number {
  process.stdout.write(usage);
  return exitCodes.ok;
}

/**
 * Runs the command line; resolves with the exit code. Never throws. `hooks` is for test entry points
 * only (serve-with-hooks.fixture.ts); the `tessera` executable passes none.
 */
export async function main(argv: string[], hooks: ServeHooks = {}): Promise<number> {
  try {
    return await dispatch(argv, hooks);
  } catch (error: unknown) {
    process.stderr.write(`tessera: ${reasonOf(error)}\n`);
    return error instanceof ServerError && error.code === 'TESSERA_USAGE' ? exitCodes.usage : exitCodes.failure;
  }
}
