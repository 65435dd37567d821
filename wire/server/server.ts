// Assembles one node's front: the engine, the uWS app with its routes (HTTP content API, admin
// routes, WebSocket endpoint), metrics and the life cycle. HTTP and WebSocket share one port.
//
// Shutdown order (stop()):
//   1. stop accepting: close the listen socket; requests arriving on open connections are answered
//      ShuttingDown from now on;
//   2. wait, at most shutdownGraceMs, until every request already taken has been answered;
//   3. close WebSockets with 1001 (going away) and force-close what is left (idle keep-alives);
//   4. close the engine.

import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { EngineApi } from '../../engine/front/engine-api';
import { openEngine } from '../../engine/front/open-engine';
import type { NamespaceConfig } from '../../engine/layout/types';
import { handleMetrics, handleNoRoute, handleStatus, type AdminContext } from './http-admin';
import { handleContent, type ContentContext } from './http-content';
import { Lifecycle } from './lifecycle';
import { loadUws, type UwsModule } from './load-uws';
import type { Logger } from './logger';
import { ServerMetrics } from './metrics';
import type { ServerConfig } from './server-config';
import { ServerError } from './server-errors';
import { SubscriptionHub, subscriptionLimitsDefault } from './subscriptions';
import { WsEndpoint, wsPath } from './ws-endpoint';
import { attachReplication, type ReplicationHandle } from './replication';
import { registerReplicationMetrics } from './replication/replication-metrics';

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Drains and closes; resolves when the engine is closed. Safe to call more than once. */
  stop(reason: string): Promise<void>;
}

export interface StartOptions {
  /** A uWS module already loaded (tests); by default the native binary is loaded here. */
  uws?: UwsModule;
  /** An engine already opened (tests); by default openEngine(config.engine). */
  engine?: EngineApi;
}

/** The native listen(host, port, options, cb) overload, missing from the published typings. */
type ListenWithOptions = (host: string, port: number, options: number, callback: (socket: us_listen_socket | false) => void) => TemplatedApp;

function listen(uws: UwsModule, app: TemplatedApp, host: string, port: number): us_listen_socket {
  let socket: us_listen_socket | false = false;
  // Exclusive: uWS otherwise sets SO_REUSEPORT, and a second node started on the same port would
  // silently split the traffic (and the data) with the first. uWS calls back synchronously.
  const listenWithOptions = app.listen as unknown as ListenWithOptions;
  listenWithOptions.call(app, host, port, uws.LIBUS_LISTEN_EXCLUSIVE_PORT, (listenSocket) => {
    socket = listenSocket;
  });
  if (socket === false) throw new ServerError('ListenFailed', `cannot listen on ${host}:${port} (address in use, or not an address of this machine)`);
  return socket;
}

/** The native app has close() (it closes every socket); the published typings lack it. */
function closeApp(app: TemplatedApp): void {
  const closable = app as TemplatedApp & { close?: () => void };
  closable.close?.();
}

/** The parts of a running front, wired together; built by startServer. */
class Front {
  readonly lifecycle = new Lifecycle();
  readonly metrics: ServerMetrics;
  readonly endpoint: WsEndpoint;
  readonly subscriptions: SubscriptionHub;
  /** Replication (wire/server/replication/): a primary's endpoint or a replica's link; null for a test engine. */
  readonly replication: ReplicationHandle | null;
  readonly #engine: EngineApi;
  readonly #content: ContentContext;
  readonly #admin: AdminContext;

  constructor(config: ServerConfig, logger: Logger, engine: EngineApi, app: TemplatedApp) {
    const { lifecycle } = this;
    const namespaces = new Map<string, NamespaceConfig>(engine.namespaces.map((namespace) => [namespace.name, namespace]));
    this.#engine = engine;
    this.metrics = new ServerMetrics({
      engineStats: () => engine.stats(),
      connections: () => this.endpoint.connections,
      requestsInFlight: () => lifecycle.inFlight,
    });
    const { metrics } = this;
    const latency = metrics.latency('http');
    const replication = attachReplication(engine, config.replicaOf, logger);
    this.replication = replication;
    if (replication !== null) registerReplicationMetrics(this.metrics.registry, () => replication.status());
    // A getter: a promotion or a demotion changes who the primary is.
    this.#content = { lifecycle, metrics, latency, engine, namespaces, get primaryUrl() { return replication?.primaryHttpUrl ?? null; } };
    this.#admin = { lifecycle, metrics, latency, engine, startedAtMs: Date.now(), connections: () => this.endpoint.connections, replication: () => replication?.status() ?? null };
    const { subscriberBackpressureBytes } = config.limits;
    this.subscriptions = new SubscriptionHub(engine.changes, app, namespaces, { ...subscriptionLimitsDefault, subscriberBackpressureBytes });
    this.endpoint = new WsEndpoint({ engine, namespaces, lifecycle, metrics, logger, limits: config.limits, subscriptions: this.subscriptions });
  }

  /** Static routes win over wildcards in uWS, whatever the order; /* last catches the rest. */
  register(uws: UwsModule, app: TemplatedApp): void {
    const content = this.#content;
    const admin = this.#admin;
    app.ws(wsPath, this.endpoint.behavior(uws));
    this.replication?.register(uws, app);
    app.get('/status', (res, req) => handleStatus(admin, res, req));
    app.head('/status', (res, req) => handleStatus(admin, res, req));
    app.get('/metrics', (res, req) => handleMetrics(admin, res, req));
    app.any('/v1/*', (res, req) => handleContent(content, res, req));
    app.any('/*', (res, req) => handleNoRoute(admin, res, req));
  }

  /** Steps 1-4 of the shutdown order at the top of this file. */
  async drainAndClose(uws: UwsModule, app: TemplatedApp, listenSocket: us_listen_socket, graceMs: number, logger: Logger, reason: string): Promise<void> {
    const { lifecycle, endpoint } = this;
    lifecycle.beginDrain();
    // Replays still running are answered ShuttingDown; subscribers resume elsewhere from their LSN.
    this.subscriptions.stop();
    this.replication?.stop();
    uws.us_listen_socket_close(listenSocket);
    logger.info({ reason, inFlight: lifecycle.inFlight }, 'tessera draining');
    const idle = await lifecycle.waitIdle(graceMs);
    if (!idle) logger.warn({ inFlight: lifecycle.inFlight, graceMs }, 'shutdown grace ran out with requests in flight');
    endpoint.flush();
    endpoint.closeAll(1001, 'server shutting down');
    closeApp(app);
    await this.#engine.close();
    lifecycle.markStopped();
    logger.info('tessera stopped');
  }
}

export async function startServer(config: ServerConfig, logger: Logger, options: StartOptions = {}): Promise<RunningServer> {
  const uws = options.uws ?? loadUws();
  const engine = options.engine ?? (await openEngine(config.engine));
  const app = uws.App();
  const front = new Front(config, logger, engine, app);
  front.register(uws, app);
  let listenSocket: us_listen_socket;
  try {
    listenSocket = listen(uws, app, config.host, config.port);
  } catch (error: unknown) {
    await engine.close();
    throw error;
  }
  const port = uws.us_socket_local_port(listenSocket);
  const stats = engine.stats();
  logger.info({ host: config.host, port, namespaces: stats.namespaces.map((namespace) => namespace.name), shards: stats.shards }, 'tessera listening');
  let stopping: Promise<void> | null = null;
  return {
    host: config.host,
    port,
    stop(reason: string): Promise<void> {
      stopping ??= front.drainAndClose(uws, app, listenSocket, config.limits.shutdownGraceMs, logger, reason);
      return stopping;
    },
  };
}
