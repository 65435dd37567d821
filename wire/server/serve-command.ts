// `tessera serve`: resolve the config, start the server, and turn SIGTERM / SIGINT into a graceful
// stop (drain, then close). A second signal during the drain exits at once: the operator asked twice.

import { openEngine } from '../../engine/front/open-engine';
import { loadUws } from './load-uws';
import { createLogger, type Logger } from './logger';
import { startServer, type RunningServer } from './server';
import { resolveServerConfig, type ConfigSources } from './server-config';
import { reasonOf } from './server-errors';
import type { EngineApi } from '../../engine/front/engine-api';
import { startSiblingReplicas } from './replication/sibling-replicas';
import type { ServerConfig } from './server-config';

async function withSiblingReplicas(server: RunningServer, count: number, config: ServerConfig, configFile: string | undefined, logger: Logger): Promise<RunningServer> {
  const siblings = await startSiblingReplicas(count, config, server.port, configFile, logger).catch(async (error: unknown) => {
    await server.stop('sibling replicas failed to start');
    throw error;
  });
  return { host: server.host, port: server.port, stop: async (reason) => {
    await siblings.stop();
    await server.stop(reason);
  } };
}

export const exitCodes = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** What a test entry point may change about `serve` (production passes none). */
export interface ServeHooks {
  /** Wraps the opened engine (a test delays it to hold requests in flight). */
  wrapEngine?(engine: EngineApi): EngineApi;
}

/** Resolves with the exit code once the server has stopped (or failed to start). */
export async function runServe(flags: ConfigSources['flags'], hooks: ServeHooks = {}): Promise<number> {
  const config = resolveServerConfig({ flags, env: process.env });
  const logger = createLogger(config.logLevel);
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, `uncaught exception: ${reasonOf(error)}`);
    process.exit(exitCodes.failure);
  });
  let server: RunningServer;
  try {
    // The native binary first: a node that cannot serve should not open an engine at all.
    const uws = loadUws();
    const opened = await openEngine({ ...config.engine, persistence: config.persistence });
    const engine = hooks.wrapEngine === undefined ? opened : hooks.wrapEngine(opened);
    server = await startServer(config, logger, { uws, engine });
    // --replicas N: sibling replica processes of this node, stopped with it (replication/sibling-replicas.ts).
    if (flags.replicas !== undefined) server = await withSiblingReplicas(server, Number(flags.replicas), config, flags.config, logger);
  } catch (error: unknown) {
    logger.fatal({ err: error }, `tessera failed to start: ${reasonOf(error)}`);
    return exitCodes.failure;
  }
  return waitForSignal(server, logger);
}

function waitForSignal(server: RunningServer, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
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
  });
}
