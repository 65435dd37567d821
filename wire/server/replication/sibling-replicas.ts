// `tessera serve --replicas N` (the dev and test set-up): the primary also runs N replica processes
// of itself on this machine. Each is the same CLI with `--replica-of` this node, port = this
// port + i (or a free one when this node asked for port 0), data dir = this data dir + `-replica-i`
// (or none, when this node keeps none). They are printed at start and stopped with the primary.
//
// With access control on, a replication link needs an admin token, and the config holds only
// hashes: this node mints a token of its own at start (siblingLinkToken, added to its tokens as
// "sibling-replicas", admin, for this run only) and hands it to each sibling in its environment
// (TESSERA_REPLICA_OF with ?access_token=), not on its command line, where `ps` would show it.

import { spawn, type ChildProcess } from 'node:child_process';
import { createToken, hashToken } from '../access-control';
import { createInterface } from 'node:readline';
import type { Logger } from '../logger';
import type { ServerConfig } from '../server-config';

export const siblingReplicasMax = 16;
const startTimeoutMs = 15_000;
const stopTimeoutMs = 10_000;

export interface SiblingReplica {
  index: number;
  pid: number;
  port: number;
  dataDir: string | null;
}

export interface SiblingReplicas {
  readonly replicas: readonly SiblingReplica[];
  stop(): Promise<void>;
}

/**
 * The config the primary serves with: with access control on, one more admin token (minted now)
 * for its siblings' links; the token is returned to hand to them. Without tokens: unchanged, null.
 */
export function withSiblingLinkToken(config: ServerConfig): { config: ServerConfig; linkToken: string | null } {
  if (config.auth.tokens.length === 0) return { config, linkToken: null };
  const linkToken = createToken();
  const entry = { name: 'sibling-replicas', sha256: hashToken(linkToken), roles: { '*': 'admin' as const } };
  return { config: { ...config, auth: { ...config.auth, tokens: [...config.auth.tokens, entry] } }, linkToken };
}

export async function startSiblingReplicas(count: number, config: ServerConfig, primaryPort: number, configFile: string | undefined, logger: Logger, linkToken: string | null = null): Promise<SiblingReplicas> {
  if (!Number.isInteger(count) || count < 0 || count > siblingReplicasMax) throw new RangeError(`--replicas must be 0..${siblingReplicasMax}`);
  const children: ChildProcess[] = [];
  const replicas: SiblingReplica[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => stopChild(child)));
  };
  try {
    for (let index = 1; index <= count; index++) {
      const dataDir = config.persistence === false ? null : `${config.persistence.dataDir}-replica-${index}`;
      const args = [
        process.argv[1]!, 'serve', '--host', config.host, '--port', String(config.port === 0 ? 0 : primaryPort + index),
        '--log-level', config.logLevel, '--io-threads', String(config.ioThreads),
        ...(configFile === undefined ? [] : ['--config', configFile]),
        ...(dataDir === null ? ['--no-persistence'] : ['--data-dir', dataDir, '--fsync', config.persistence === false ? 'always' : config.persistence.fsync]),
      ];
      const replicaOf = `ws://${config.host}:${primaryPort}/v1/ws${linkToken === null ? '' : `?access_token=${encodeURIComponent(linkToken)}`}`;
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TESSERA_PORT: '', TESSERA_DATA_DIR: '', TESSERA_REPLICA_OF: replicaOf } });
      children.push(child);
      const port = await listeningPort(child);
      const replica = { index, pid: child.pid ?? 0, port, dataDir };
      replicas.push(replica);
      logger.info(replica, 'replication: sibling replica started');
    }
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return { replicas, stop };
}

/** Forwards the child's log lines and resolves with the port from its "tessera listening" line. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a sibling replica did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`a sibling replica exited (${code}) before listening`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      process.stdout.write(`${line}\n`);
      try {
        const parsed = JSON.parse(line) as { msg?: unknown; port?: unknown };
        if (parsed.msg === 'tessera listening' && typeof parsed.port === 'number') {
          clearTimeout(timer);
          resolve(parsed.port);
        }
      } catch {
        // not a JSON log line
      }
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}
