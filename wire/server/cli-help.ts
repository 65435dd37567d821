// The help texts of the `tessera` command line: a summary (`tessera --help`) and one page per
// subcommand (`tessera COMMAND --help`).

import { tesseraVersion } from './package-info';

export const usage = `tessera ${tesseraVersion}: an in-memory content store

Usage:
  tessera serve [--host HOST] [--port PORT] [--config FILE] [--log-level LEVEL] [--insecure]
                [--io-threads N] [--data-dir DIR] [--fsync always|everysec|never]
                [--no-persistence] [--replica-of ws://HOST:PORT/v1/ws] [--replicas N]
  tessera config check FILE      validate a config file without starting
  tessera config print [serve flags]
                                 the effective config: defaults, file, environment, flags
  tessera token create --role NAMESPACE=ROLE [--role ...] [--name NAME]
  tessera get <key> [--ns NS] [--url URL]
  tessera put <key> [value] [--ns NS] [--ttl SECONDS] [--content-type TYPE] [--url URL]
                            (no value argument: the value is read from stdin)
  tessera delete <key> [--ns NS] [--url URL]
  tessera scan [prefix] [--ns NS] [--limit N] [--sort] [--long] [--url URL]
  tessera snapshot [--url URL]
  tessera promote [--url HTTP_URL]   make a replica the primary (new epoch and history id)
  tessera failover --to HTTP_URL [--url HTTP_URL]
                            coordinated switchover: pause writes, wait for the replica, demote
                            this primary (it follows the replica), promote the replica
  tessera --help | --version
  tessera COMMAND --help    the options of one command

Exit codes: 0 ok, 1 failure (including a missing key), 2 usage error.
`;

const serveHelp = `Usage: tessera serve [options]

Runs a node: HTTP content API and WebSocket endpoint (/v1/ws) on one port.
Defaults: 127.0.0.1:7070, one namespace "content" (store mode, 1 GiB or half the memory available
if less), persisted to ./data with fsync always (a write is acknowledged once its WAL record is
fdatasynced).

  --host HOST        address to bind (default 127.0.0.1; env TESSERA_HOST)
  --port PORT        port (default 7070; 0 = any free port; env TESSERA_PORT)
  --config FILE      JSON config file (env TESSERA_CONFIG); check it with tessera config check
  --log-level LEVEL  fatal, error, warn, info (default), debug, trace, silent (env TESSERA_LOG_LEVEL)
  --io-threads N     uWS I/O threads on the one port (default 1; env TESSERA_IO_THREADS)
  --data-dir DIR     where the WAL, snapshots and history id live (one server per dir;
                     env TESSERA_DATA_DIR)
  --fsync POLICY     always (ack after fdatasync), everysec or never (ack after write(): survives
                     a process crash, not a power loss; env TESSERA_FSYNC)
  --no-persistence   a pure memory node: nothing is written, a restart starts empty
  --replica-of URL   a read-only replica of that primary: it streams the primary's change log
                     (catch-up from memory, the WAL or a full snapshot) and refuses writes (ReadOnly,
                     HTTP 421); env TESSERA_REPLICA_OF, config "replicaOf"
  --replicas N       also run N replica processes of this node (ports PORT+1.., data dirs
                     DIR-replica-1..), printed at start and stopped with it
  --insecure         serve a non-loopback address without access tokens, deliberately

Flags win over the environment, which wins over the config file. The file's schema is
config.schema.json (every key: README.md, Configuration); sizes take units ("512MiB", "1GiB").
SIGTERM / SIGINT: stop accepting, answer what is in flight (at most limits.shutdownGraceMs), close.
Protected mode: bound to a non-loopback address with no access tokens configured, serve refuses
to start; add a token (tessera token create) or pass --insecure to serve without access control.
`;

const configHelp = `Usage: tessera config check FILE [--insecure]
       tessera config print [--config FILE] [serve flags]

check: validates FILE against the config schema (config.schema.json) and the checks serve makes
at start (memory limits against the machine's or the container's memory, protected mode), without
starting anything. Prints "FILE: ok" and any warnings, exit 0; or one line per problem, each
naming its path (engine.namespaces[0].maxKeyBytes ...), exit 1.

print: prints the effective config as JSON: the defaults, the file, the environment (TESSERA_*)
and the flags merged, with the engine's defaults filled in (shards, namespace limits).
`;

const tokenHelp = `Usage: tessera token create --role NAMESPACE=ROLE [--role ...] [--name NAME]

Prints a new random access token and the entry for the config file's "auth": { "tokens": [...] }
(only the token's SHA-256 is kept there). ROLE is read, write or admin; NAMESPACE "*" = all.
e.g. tessera token create --role content=write --role '*=read' --name cdn
`;

const clientOptionsHelp = `  --url URL        the node's WebSocket endpoint (default ws://127.0.0.1:7070/v1/ws, or TESSERA_URL)
  --ns NS          the namespace (default content)
  --token TOKEN    access token (or TESSERA_TOKEN), sent as Authorization: Bearer
  --ca FILE        PEM CA certificate to trust for a wss:// URL
`;

const clientHelp: Readonly<Record<'get' | 'put' | 'delete' | 'scan', string>> = {
  get: `Usage: tessera get <key> [options]\n\nPrints the value to stdout (exit 1 and NotFound on stderr when there is none).\n\n${clientOptionsHelp}`,
  put: `Usage: tessera put <key> [value] [options]\n\nWrites the value (the argument, else stdin) and prints { key, generation }.\n\n  --ttl SECONDS    expire after this many seconds (0 = never; default: the namespace's)\n  --content-type TYPE\n${clientOptionsHelp}`,
  delete: `Usage: tessera delete <key> [options]\n\nDeletes the record (exit 1 when there is none).\n\n${clientOptionsHelp}`,
  scan: `Usage: tessera scan [prefix] [options]

Prints the keys under prefix, one per line, in hash order (ordered by a hash of each key: stable
while the keys stay, not sorted). --sort sorts each page of up to 1000 keys (with
--limit N up to 1000, that is all of them); a full sort of a large namespace is a job for the
caller (tessera scan | sort).

  --limit N        at most N keys
  --sort           sort each page by key (byte order of the UTF-8 key)
  --long           one JSON object per record with its metadata
${clientOptionsHelp}`,
};

const snapshotHelp = `Usage: tessera snapshot [--url URL]

Asks a running node to write a snapshot now (POST /v1/admin/snapshot) and prints
{ lsn, path, records, bytes, ms }. A snapshot plus a copy of the data dir is a backup.
  --url URL        the node (default http://127.0.0.1:7070; TESSERA_URL's host and port if set)
  Sends TESSERA_TOKEN, if set, as Authorization: Bearer.
`;

const promoteHelp = `Usage: tessera promote [--url HTTP_URL]

Makes a replica the primary: the next epoch and a new history id that remembers the old one, so the
other replicas follow it without a full sync. --url defaults to TESSERA_HTTP_URL, else
http://127.0.0.1:7070. Sends TESSERA_TOKEN, if set.
`;

const failoverHelp = `Usage: tessera failover --to HTTP_URL [--url HTTP_URL]

Coordinated switchover from a live primary (--url, default TESSERA_HTTP_URL or
http://127.0.0.1:7070) to the replica --to: writes pause (answered ReadOnly), the replica catches
up, this primary is demoted (it follows the replica), the replica is promoted.
`;

export const commandHelp: Readonly<Record<string, string>> = {
  serve: serveHelp,
  config: configHelp,
  token: tokenHelp,
  snapshot: snapshotHelp,
  promote: promoteHelp,
  failover: failoverHelp,
  ...clientHelp,
};
