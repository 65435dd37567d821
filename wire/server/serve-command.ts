// `tessera serve`: resolve the config, start the server, and turn SIGTERM / SIGINT into a graceful
// stop (drain, then close). A second signal during the drain exits at once: the operator asked twice.
//
// The engine opens without waiting for recovery, so the server listens (and /status says
// "recovering", ops answer Recovering) while a large data dir is replayed. A recovery that fails
// stops the node with exit code 1. A data dir held by another process is one plain line, exit 1.

import { DataDirLockedError } from '../../engine/front/data-dir';
import type { Engine } from '../../engine/front/engine';
import { openEngine } from '../../engine/front/open-engine';
import { loadUws } from './load-uws';
import { createLogger, type Logger } from './logger';
import { logPersistenceFailed, logRecoveryDone, recoveryProgressLogger } from './persistence-log';
import { startServer, type RunningServer } from './server';
import { resolveConfig, type ConfigSources } from './server-config';
import { ServerError, reasonOf } from './server-errors';
import type { EngineApi } from '../../engine/front/engine-api';
import type { TestOnlyFaults } from '../../engine/layout/file-layer';
import { startSiblingReplicas, withSiblingLinkToken } from './replication/sibling-replicas';
import { fetchRejoinPoint } from './replication/rejoin-point';
import { watchShardDeaths } from './shard-death-log';
import type { ServerConfig } from './server-config';

async function withSiblingReplicas(server: RunningServer, count: number, config: ServerConfig, configFile: string | undefined, logger: Logger, linkToken: string | null): Promise<RunningServer> {
  const siblings = await startSiblingReplicas(count, config, server.port, configFile, logger, linkToken).catch(async (error: unknown) => {
    await server.stop('sibling replicas failed to start');
    throw error;
  });
  return {
    host: server.host,
    port: server.port,
    reloadTls: () => server.reloadTls(),
    stop: async (reason) => {
      await siblings.stop();
      await server.stop(reason);
    },
  };
}

export const exitCodes = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** What a test entry point may change about `serve` (production passes none). */
export interface ServeHooks {
  /** Wraps the opened engine (a test delays it to hold requests in flight). */
  wrapEngine?(engine: EngineApi): EngineApi;
  /** TEST-ONLY: faults in the WAL's file layer (a test makes the disk fail). */
  testOnlyWalFaults?: TestOnlyFaults;
}

/** Resolves with the exit code once the server has stopped (or failed to start). */
export async function runServe(flags: ConfigSources['flags'], hooks: ServeHooks = {}): Promise<number> {
  const { config: resolved, warnings } = resolveConfig({ flags, env: process.env });
  // --replicas N with access control on: the siblings' links present a token minted for this run.
  const { config, linkToken } = flags.replicas !== undefined ? withSiblingLinkToken(resolved) : { config: resolved, linkToken: null };
  const logger = createLogger(config.logLevel);
  // Each once, at start, with the figures: the operator reads them next to the start line.
  for (const warning of warnings) logger.warn({ warning }, `config: ${warning}`);
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, `uncaught exception: ${reasonOf(error)}`);
    process.exit(exitCodes.failure);
  });
  let server: RunningServer;
  let opened: Engine;
  try {
    // The native binary first: a node that cannot serve should not open an engine at all.
    const uws = loadUws();
    let engineRef: Engine | null = null;
    // A node that follows a primary and keeps a data dir: where the primary's history left ours, so
    // a divergent tail (an old primary rejoining) is cut before recovery instead of a full sync.
    const rejoin = config.replicaOf !== null && config.persistence !== false ? await fetchRejoinPoint(config.replicaOf) : null;
    opened = await openEngine({ ...config.engine, persistence: config.persistence }, {
      ...(rejoin === null ? {} : { rejoin }),
      awaitRecovery: false,
      onRecoveryProgress: recoveryProgressLogger(logger),
      onPersistenceFailed: (error) => logPersistenceFailed(logger, error, engineRef?.persistenceStats() ?? null),
      ...(hooks.testOnlyWalFaults === undefined ? {} : { testOnlyWalFaults: hooks.testOnlyWalFaults }),
    });
    engineRef = opened;
    // Handled here at once: watchRecovery attaches its own handlers after the server has started.
    opened.ready.catch(() => undefined);
    const engine = hooks.wrapEngine === undefined ? opened : hooks.wrapEngine(opened);
    server = await startServer(config, logger, { uws, engine, persistence: opened });
    // --replicas N: sibling replica processes of this node, stopped with it (replication/sibling-replicas.ts).
    if (flags.replicas !== undefined) server = await withSiblingReplicas(server, Number(flags.replicas), config, flags.config, logger, linkToken);
  } catch (error: unknown) {
    if (error instanceof DataDirLockedError || error instanceof ServerError) {
      // An operator error (a port in use, a data dir held, a TLS file unreadable), not a crash:
      // one plain line on stderr, and a log line with its code, neither with a stack trace.
      logger.fatal({ code: error instanceof ServerError ? error.code : 'TESSERA_DATA_DIR_LOCKED' }, `tessera failed to start: ${error.message}`);
      process.stderr.write(`tessera: ${error.message}\n`);
      return exitCodes.failure;
    }
    logger.fatal({ err: error }, `tessera failed to start: ${reasonOf(error)}`);
    return exitCodes.failure;
  }
  const recoveryFailed = watchRecovery(opened, logger);
  const stopShardWatch = watchShardDeaths(opened, logger);
  return waitForSignal(server, logger, recoveryFailed).finally(stopShardWatch);
}

/** Logs the end of recovery; resolves with the reason if it failed (never resolves otherwise). */
function watchRecovery(engine: Engine, logger: Logger): Promise<string> {
  return new Promise((resolve) => {
    engine.ready.then(
      () => {
        const report = engine.persistenceStats()?.recovery ?? null;
        const tail = engine.persistence?.divergentTail ?? null;
        if (tail?.cut === true) logger.warn(tail, `replication: dropped the divergent tail: ${tail.droppedChanges} changes on ${tail.droppedKeys} keys after LSN ${tail.switchLsn - 1}, ${tail.droppedSnapshots} snapshots`);
        else if (tail !== null) logger.warn(tail, `replication: a divergent tail of ${tail.droppedChanges} changes could not be cut (${tail.reason}): a full sync follows`);
        if (report !== null) logRecoveryDone(logger, report);
      },
      (error: unknown) => {
        logger.fatal({ reason: reasonOf(error) }, `recovery failed: ${reasonOf(error)}; the data dir is left as it is`);
        process.stderr.write(`tessera: recovery of the data dir failed: ${reasonOf(error)}\n`);
        resolve(reasonOf(error));
      },
    );
  });
}

function waitForSignal(server: RunningServer, logger: Logger, recoveryFailed: Promise<string>): Promise<number> {
  return new Promise((resolve) => {
    void recoveryFailed.then((reason) => {
      // Serving nothing useful: stop (the engine closes, the lock is released) and exit non-zero.
      server.stop(`recovery failed: ${reason}`).then(
        () => resolve(exitCodes.failure),
        () => resolve(exitCodes.failure),
      );
    });
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting without waiting for the drain');
        resolve(exitCodes.interrupted);
        return;
      }
      signalled = true;
      server.stop(signal).then(
        () => resolve(exitCodes.ok),
        (error: unknown) => {
          logger.error({ err: error }, `shutdown failed: ${reasonOf(error)}`);
          resolve(exitCodes.failure);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // SIGHUP: read the TLS certificate and key again (a renewal), without a restart.
    process.on('SIGHUP', () => server.reloadTls());
  });
}
