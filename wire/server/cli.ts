// The `tessera` command line: `serve` runs a node; `config check | print` validate and show the
// config without starting; `get`, `put`, `delete` and `scan` talk to a node through the WebSocket
// client, for quick use from a shell; `snapshot` asks a node for a snapshot over HTTP. Exit codes:
// 0 ok, 1 failure (including a missing key), 2 usage error. Every failure is one plain line on
// stderr (`tessera: ...`); `COMMAND --help` prints that command's page (cli-help.ts).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { runClientCommand, clientCommands, type ClientCommand, type ClientFlags } from './client-commands';
import { tesseraVersion } from './package-info';
import { commandHelp, usage } from './cli-help';
import { runConfigCommand } from './config-command';
import { exitCodes, runServe, type ServeHooks } from './serve-command';
import { runFailover, runPromote } from './replication/promote-command';
import { ServerError, reasonOf } from './server-errors';
import type { ConfigSources } from './server-config';
import { createTokenEntry, formatTokenCreated, parseRoles } from './token-command';
import { runSnapshotCommand, snapshotOrigin } from './snapshot-command';

const serveOptions = {
  host: { type: 'string' },
  port: { type: 'string' },
  config: { type: 'string' },
  'log-level': { type: 'string' },
  'io-threads': { type: 'string' },
  'data-dir': { type: 'string' },
  fsync: { type: 'string' },
  'no-persistence': { type: 'boolean' },
  'replica-of': { type: 'string' },
  replicas: { type: 'string' },
  insecure: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

/** config print takes serve's flags (it shows what serve would run with); check only --insecure. */
const configOptions = { ...serveOptions } satisfies ParseArgsConfig['options'];

type ServeValues = { [K in keyof typeof serveOptions]?: (typeof serveOptions)[K]['type'] extends 'boolean' ? boolean : string };

function serveFlagsOf(values: ServeValues): ConfigSources['flags'] {
  return {
    host: values.host, port: values.port, config: values.config, logLevel: values['log-level'], insecure: values.insecure === true,
    ioThreads: values['io-threads'],
    dataDir: values['data-dir'], fsync: values.fsync, noPersistence: values['no-persistence'],
    replicaOf: values['replica-of'],
  };
}

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
  sort: { type: 'boolean' },
  token: { type: 'string' },
  ca: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const snapshotOptions = {
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

function usageError(message: string, command?: string): never {
  throw new ServerError('Usage', `${message} (tessera ${command === undefined ? '' : `${command} `}--help for usage)`);
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error: unknown) {
    // parseArgs's messages end in advice of their own ("To specify a positional argument ..."):
    // the first sentence is the error.
    return usageError(reasonOf(error).split('. ')[0]!.replace(/\.$/, ''), command);
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
    const { values, positionals } = parse(command, rest, serveOptions);
    if (values.help === true) return writeHelp(command);
    if (positionals.length > 0) usageError(`serve takes no arguments, got ${positionals.join(' ')}`, command);
    return runServe({ ...serveFlagsOf(values), replicas: values.replicas }, hooks);
  }
  if (command === 'config') {
    const { values, positionals } = parse(command, rest, configOptions);
    if (values.help === true) return writeHelp(command);
    const [action, ...files] = positionals;
    if (action === 'check') {
      if (files.length !== 1 || values.config !== undefined) usageError('config check takes one FILE', command);
      return runConfigCommand({ action, file: files[0]!, flags: { insecure: values.insecure === true } });
    }
    if (action === 'print') {
      if (files.length > 0) usageError('config print takes no arguments (name the file with --config)', command);
      return runConfigCommand({ action, flags: serveFlagsOf(values) });
    }
    return usageError('config takes check FILE or print', command);
  }
  if (command === 'token') {
    const { values, positionals } = parse(command, rest, tokenOptions);
    if (values.help === true) return writeHelp(command);
    if (positionals.length !== 1 || positionals[0] !== 'create') usageError('token takes one action, create', 'token');
    const created = createTokenEntry(values.name ?? `token-${new Date().toISOString().slice(0, 10)}`, parseRoles(values.role ?? []));
    process.stdout.write(formatTokenCreated(created));
    return exitCodes.ok;
  }
  if (command === 'snapshot') {
    const { values, positionals } = parse(command, rest, snapshotOptions);
    if (values.help === true) return writeHelp(command);
    if (positionals.length > 0) usageError(`snapshot takes no arguments, got ${positionals.join(' ')}`, command);
    return runSnapshotCommand(snapshotOrigin(values.url, process.env));
  }
  if (command === 'promote') {
    const { values, positionals } = parse(command, rest, { url: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help === true) return writeHelp(command);
    if (positionals.length > 0) usageError(`promote takes no arguments, got ${positionals.join(' ')}`, command);
    return runPromote(values.url ?? process.env['TESSERA_HTTP_URL'] ?? 'http://127.0.0.1:7070');
  }
  if (command === 'failover') {
    const { values, positionals } = parse(command, rest, { url: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
    if (values.help === true) return writeHelp(command);
    if (positionals.length > 0 || values.to === undefined) usageError('failover takes --to HTTP_URL (the replica to promote) and no arguments', command);
    return runFailover(values.url ?? process.env['TESSERA_HTTP_URL'] ?? 'http://127.0.0.1:7070', values.to);
  }
  if (isClientCommand(command)) {
    const { values, positionals } = parse(command, rest, clientOptions);
    if (values.help === true) return writeHelp(command);
    const flags: ClientFlags = {
      url: values.url ?? process.env['TESSERA_URL'] ?? 'ws://127.0.0.1:7070/v1/ws',
      ns: values.ns ?? 'content',
      ttl: values.ttl,
      contentType: values['content-type'],
      limit: values.limit,
      long: values.long === true,
      sort: values.sort === true,
      token: values.token ?? process.env['TESSERA_TOKEN'],
      caFile: values.ca,
    };
    return runClientCommand(command, positionals, flags);
  }
  return usageError(`unknown command ${JSON.stringify(command)}`);
}

function writeHelp(command: string): number {
  process.stdout.write(commandHelp[command] ?? usage);
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
