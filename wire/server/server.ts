// Assembles one node's front: the engine, the uWS app with its routes (HTTP content API, admin
// routes, WebSocket endpoint), metrics and the life cycle. HTTP and WebSocket share one port.
//
// Shutdown order (stop()):
//   1. stop accepting: close the listen socket; requests arriving on open connections are answered
//      ShuttingDown from now on;
//   2. wait, at most shutdownGraceMs, until every request already taken has been answered (every
//      HTTP answer from now on says `Connection: close`), then linger drainLingerMs for requests
//      already on the wire;
//   3. close WebSockets with 1001 (going away) and force-close what is left (idle keep-alives);
//   4. close the engine.

import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { EngineApi } from '../../engine/front/engine-api';
import { openEngine } from '../../engine/front/open-engine';
import type { NamespaceConfig } from '../../engine/layout/types';
import { registerBrowserAssets } from './browser-assets';
import { handleMetrics, handleNoRoute, handleStatus, type AdminContext } from './http-admin';
import { Status } from '../../engine/layout/status';
import { adminSnapshotPath, handleSnapshot, type SnapshotContext } from './http-admin-snapshot';
import { handleContent, type ContentContext } from './http-content';
import { HttpExchange } from './http-exchange';
import { HttpOutput } from './http-output';
import { OutputBudget } from './output-budget';
import { admitHttp } from './http-access';
import { LegacyHttpListener, type LegacyRoutes } from './legacy-http';
import { Lifecycle } from './lifecycle';
import { loadUws, type UwsModule } from './load-uws';
import type { Logger } from './logger';
import { ServerMetrics } from './metrics';
import { recoveryFlag, type PersistenceSource } from './node-persistence';
import { tesseraVersion } from './package-info';
import { formatByteSize } from './config/byte-size';
import { RateLimitedLog } from './rate-limited-log';
import { registerPersistenceMetrics } from './persistence-metrics';
import type { ServerConfig } from './server-config';
import { AccessControl, bearerToken, Role, type Principal } from './access-control';
import { OriginPolicy } from './request-origin';
import { CompressedCopies } from './compressed-copies';
import { reasonOf, ServerError } from './server-errors';
import { createApp, reloadServerNames } from './tls-files';
import { SubscriptionHub, subscriptionLimitsDefault } from './subscriptions';
import { WsEndpoint, wsPath, type UpgradeAdmission, type UpgradeRefusal } from './ws-endpoint';
import { attachReplication, type ReplicationHandle } from './replication';
import type { TopicPublisher } from './subscriptions/subscription-hub';
import { IoThreadHost, type LocalReadOptions } from './io-threads/io-thread-host';
import type { DirectReadSources } from '../../engine/front/direct-read';
import { checkPortFree } from './io-threads/port-probe';
import { RouteTable } from './io-threads/route-table';
import { registerReplicationMetrics } from './replication/replication-metrics';

/** How long a drain waits, once idle, for requests a keep-alive client sent before it saw `Connection: close`. */
const drainLingerMs = 150;
/** How often the I/O threads' read gate is brought up to date (Front.keepGate). */
const gateIntervalMs = 10;

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Drains and closes; resolves when the engine is closed. Safe to call more than once. */
  stop(reason: string): Promise<void>;
  /** Reads the TLS certificate and key again (SIGHUP); keeps the current ones if they are bad. */
  reloadTls(): void;
}

export interface StartOptions {
  /** A uWS module already loaded (tests); by default the native binary is loaded here. */
  uws?: UwsModule;
  /** An engine already opened (tests); by default openEngine(config.engine). */
  engine?: EngineApi;
  /** The opened engine's persistence (serve passes the Engine itself); none: a node that does not persist. */
  persistence?: PersistenceSource;
}

/** The native listen(host, port, options, cb) overload, missing from the published typings. */
type ListenWithOptions = (host: string, port: number, options: number, callback: (socket: us_listen_socket | false) => void) => TemplatedApp;

/** shared: the port is shared with the I/O threads (io-threads/port-probe.ts checked it first). */
function listen(uws: UwsModule, app: TemplatedApp, host: string, port: number, shared: boolean): us_listen_socket {
  let socket: us_listen_socket | false = false;
  // Exclusive: uWS otherwise sets SO_REUSEPORT, and a second node started on the same port would
  // silently split the traffic (and the data) with the first. uWS calls back synchronously.
  const listenWithOptions = app.listen as unknown as ListenWithOptions;
  listenWithOptions.call(app, host, port, shared ? 0 : uws.LIBUS_LISTEN_EXCLUSIVE_PORT, (listenSocket) => {
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
  /** Unread output and connections of both transports, against limits (output-budget.ts). */
  readonly budget: OutputBudget;
  readonly httpOutput = new HttpOutput();
  /** Replication (wire/server/replication/): a primary's endpoint or a replica's link; null for a test engine. */
  readonly replication: ReplicationHandle | null;
  readonly #engine: EngineApi;
  readonly #content: ContentContext;
  readonly #admin: AdminContext;
  readonly #originPolicy: OriginPolicy;
  readonly #access: AccessControl;
  readonly #snapshot: SnapshotContext;
  /** The threads past the front (io-threads/): none started unless ioThreads > 1. */
  readonly #ioThreads: IoThreadHost;
  #gateTimer: NodeJS.Timeout | null = null;

  constructor(config: ServerConfig, logger: Logger, engine: EngineApi, publisher: TopicPublisher, persistence: PersistenceSource | null, ioThreads: IoThreadHost) {
    const { lifecycle } = this;
    this.#ioThreads = ioThreads;
    this.#originPolicy = new OriginPolicy(config);
    const namespaces = new Map<string, NamespaceConfig>(engine.namespaces.map((namespace) => [namespace.name, namespace]));
    this.#engine = engine;
    this.budget = new OutputBudget(config.limits, logger);
    const output = { budget: this.budget, http: this.httpOutput };
    this.metrics = new ServerMetrics({
      engineStats: () => engine.stats(),
      connections: () => this.budget.connections,
      requestsInFlight: () => lifecycle.inFlight,
      // Read at scrape time: both are built after the metrics (they count into them).
      subscriptions: () => this.subscriptions?.stats() ?? null,
      bufferedOutputBytes: () => this.budget.bufferedBytes,
    });
    const { metrics } = this;
    const latency = metrics.latency('http');
    this.#access = new AccessControl(config.auth);
    const access = this.#access;
    const replication = attachReplication(engine, config.replicaOf, logger);
    this.replication = replication;
    if (replication !== null) registerReplicationMetrics(this.metrics.registry, () => replication.status());
    // A getter: a promotion or a demotion changes who the primary is.
    const origins = this.#originPolicy;
    const compressed = new CompressedCopies();
    this.#content = { lifecycle, metrics, latency, output, engine, namespaces, access, origins, compressed, get primaryUrl() { return replication?.primaryHttpUrl ?? null; } };
    const recovering = recoveryFlag(persistence);
    this.#admin = {
      lifecycle,
      metrics,
      latency,
      engine,
      startedAtMs: Date.now(),
      connections: () => this.budget.connections,
      httpResponsesHeld: () => this.httpOutput.connections,
      bufferedOutputBytes: () => this.budget.bufferedBytes,
      limits: config.limits,
      access,
      persistence,
      recovering,
      replication: () => replication?.status() ?? null,
      ioThreads: () => ioThreads.status(),
    };
    this.#snapshot = { lifecycle, metrics, latency, persistence, logger, recovering, access };
    if (persistence !== null && persistence.persistenceStats() !== null) registerPersistenceMetrics(metrics.registry, persistence);
    const { subscriberBackpressureBytes } = config.limits;
    const slowSubscribers = new RateLimitedLog(logger);
    this.subscriptions = new SubscriptionHub(engine.changes, publisher, namespaces, { ...subscriptionLimitsDefault, subscriberBackpressureBytes }, {
      onFellBehind: (event) => slowSubscribers.log('warn', 'subscriber-catch-up', { ...event, subscriberBackpressureBytes }, 'slow subscriber switched to catch-up from the change log'),
    });
    this.endpoint = new WsEndpoint({
      engine,
      namespaces,
      lifecycle,
      metrics,
      logger,
      limits: config.limits,
      budget: this.budget,
      subscriptions: this.subscriptions,
      admitUpgrade: (req) => this.#admitUpgrade(req),
      recovering,
    });
    this.budget.addSource(this.endpoint);
    this.budget.addSource(this.httpOutput);
    this.budget.start();
  }

  /** Static routes win over wildcards in uWS, whatever the order; /* last catches the rest. */
  register(uws: UwsModule, app: TemplatedApp): void {
    const content = this.#content;
    const admin = this.#admin;
    app.ws(wsPath, this.endpoint.behavior(uws));
    // Replication: the link upgrade and the admin routes (promote, failover) need an admin token
    // when tokens are configured, and pass the Host check like every other route.
    this.replication?.register(uws, app, {
      guardHttp: (handler) => this.#guarded((res, req) => {
        if (admitHttp(this.#access, req, new HttpExchange(res, admin, false), (principal) => principal.isAdmin)) handler(res, req);
      }),
      admitLink: (req) => this.#admitReplicationLink(req),
    });
    app.get('/status', this.#guarded((res, req) => handleStatus(admin, res, req)));
    app.head('/status', this.#guarded((res, req) => handleStatus(admin, res, req)));
    app.get('/metrics', this.#guarded((res, req) => handleMetrics(admin, res, req)));
    const snapshot = this.#snapshot;
    app.post(adminSnapshotPath, this.#guarded((res, req) => handleSnapshot(snapshot, res, req)));
    registerBrowserAssets(app, admin, (handler) => this.#guarded(handler));
    app.any('/v1/*', this.#guarded((res, req) => handleContent(content, res, req)));
    app.any('/*', this.#guarded((res, req) => handleNoRoute(admin, res, req)));
  }

  /** The same routes, guarded the same way, for the HTTP/1.0 listener (legacy-http.ts). */
  legacyRoutes(): LegacyRoutes {
    const content = this.#content;
    const admin = this.#admin;
    const snapshot = this.#snapshot;
    return {
      status: this.#guarded((res, req) => handleStatus(admin, res, req)),
      metrics: this.#guarded((res, req) => handleMetrics(admin, res, req)),
      snapshot: this.#guarded((res, req) => handleSnapshot(snapshot, res, req)),
      content: this.#guarded((res, req) => handleContent(content, res, req)),
      noRoute: this.#guarded((res, req) => handleNoRoute(admin, res, req)),
    };
  }

  /**
   * A route handler behind the Host check (request-origin.ts) and the Origin check of writes:
   * either refusal is answered 403. Without tokens a browser needs nothing but a page to send a
   * cross-site POST or PUT (a form, a no-cors fetch): such a request carries the page's Origin, so
   * a method that may change something is refused when that Origin is not allowed. GET, HEAD and
   * OPTIONS change nothing, and a request without Origin is not from a browser page.
   */
  #guarded(handler: (res: HttpResponse, req: HttpRequest) => void): (res: HttpResponse, req: HttpRequest) => void {
    const policy = this.#originPolicy;
    const admin = this.#admin;
    return (res, req) => {
      const method = req.getMethod();
      const host = req.getHeader('host');
      if (!policy.hostAllowed(host)) {
        new HttpExchange(res, admin, method === 'head').refuse(Status.Forbidden, 'this Host is not served here (allowedHosts)', { closeConnection: true });
        return;
      }
      if (method !== 'get' && method !== 'head' && method !== 'options' && !policy.originAllowed(req.getHeader('origin'), host)) {
        // The body is left unread: the connection is closed after the answer.
        new HttpExchange(res, admin, false).refuse(Status.Forbidden, 'pages from this Origin may not send writes (allowedOrigins)', { closeConnection: true });
        return;
      }
      handler(res, req);
    };
  }

  /**
   * Origin, Host and access token of a WebSocket upgrade. The token comes in `Authorization:
   * Bearer`, or, for browsers (which cannot set headers on a WebSocket), in the `access_token`
   * query parameter.
   */
  #admitUpgrade(req: HttpRequest): UpgradeRefusal | UpgradeAdmission {
    if (!this.#originPolicy.hostAllowed(req.getHeader('host'))) return { httpCode: 403, status: Status.Forbidden, message: 'this Host is not served here (allowedHosts)' };
    if (!this.#originPolicy.originAllowed(req.getHeader('origin'), req.getHeader('host'))) return { httpCode: 403, status: Status.Forbidden, message: 'pages from this Origin may not connect (allowedOrigins)' };
    if (!this.#access.enabled) return { principal: null };
    const fromHeader = bearerToken(req.getHeader('authorization'));
    // uWS answers getQuery(key) with undefined when the key is absent (the typings say string).
    const fromQuery = (req.getQuery('access_token') as string | undefined) ?? '';
    const principal = this.#access.authenticate(fromHeader !== '' ? fromHeader : fromQuery);
    if (principal === null) return { httpCode: 401, status: Status.Unauthorized, message: 'send Authorization: Bearer <token> or ?access_token=<token>', headers: [['WWW-Authenticate', 'Bearer realm="tessera"']] };
    return { principal };
  }

  /** A replica's link: Host check, then (with tokens configured) an admin token on the upgrade. */
  #admitReplicationLink(req: HttpRequest): UpgradeRefusal | null {
    // A node still replaying its data dir has no whole change log to stream from yet.
    if (this.#admin.recovering()) return { httpCode: 503, status: Status.Recovering, message: 'the data dir is still being recovered: retry' };
    const admitted = this.#admitUpgrade(req);
    if ('httpCode' in admitted) return admitted;
    if (admitted.principal !== null && !admitted.principal.isAdmin) return { httpCode: 403, status: Status.Forbidden, message: 'a replication link needs a token with the admin role' };
    return null;
  }

  /**
   * The I/O threads' read fast path (io-threads/local-reads.ts): on the endpoint's connections, as
   * the token allows, counted into these metrics. null when the engine has no direct reads.
   */
  localReads(config: ServerConfig): LocalReadOptions | null {
    const sources = (this.#engine as Partial<{ directReadSources(): DirectReadSources | null }>).directReadSources?.() ?? null;
    if (sources === null) return null;
    const { metrics } = this;
    return {
      pattern: wsPath,
      sources,
      busyBackpressureBytes: config.limits.busyBackpressureBytes,
      readable: (userData) => {
        const principal = (userData as { principal: Principal | null }).principal;
        return Uint8Array.from(sources.namespaces, (namespace) => (principal === null || principal.roleFor(namespace.name) >= Role.Read ? 1 : 0));
      },
      http: { auth: config.auth, origins: { host: config.host, allowedOrigins: config.allowedOrigins, allowedHosts: config.allowedHosts } },
      onCounters: (counters) => metrics.addCounters(counters),
    };
  }

  /**
   * Keeps the I/O threads' read gate: open while the node runs, is not recovering and holds less
   * unread output than its budget (over it, the front answers Busy). Polled (gateIntervalMs) rather
   * than told: recovery ends inside the engine; the drain closes it at once.
   */
  keepGate(): void {
    const ioThreads = this.#ioThreads;
    const update = (): void => ioThreads.setGate(this.lifecycle.accepting && !this.#admin.recovering() && !this.budget.over);
    update();
    this.#gateTimer = setInterval(update, gateIntervalMs);
    this.#gateTimer.unref();
  }

  /** Steps 1-4 of the shutdown order at the top of this file. */
  async drainAndClose(uws: UwsModule, app: TemplatedApp, listenSocket: us_listen_socket, legacy: LegacyHttpListener | null, graceMs: number, logger: Logger, reason: string): Promise<void> {
    const { lifecycle, endpoint } = this;
    const ioThreads = this.#ioThreads;
    lifecycle.beginDrain();
    if (this.#gateTimer !== null) clearInterval(this.#gateTimer);
    ioThreads.setGate(false);
    // Replays still running are answered ShuttingDown; subscribers resume elsewhere from their LSN.
    this.subscriptions.stop();
    this.replication?.stop();
    uws.us_listen_socket_close(listenSocket);
    ioThreads.stopListening();
    legacy?.stopListening();
    logger.info({ reason, inFlight: lifecycle.inFlight }, 'tessera draining');
    const idle = await lifecycle.waitIdle(graceMs);
    if (!idle) logger.warn({ inFlight: lifecycle.inFlight, graceMs }, 'shutdown grace ran out with requests in flight');
    // A keep-alive client may have sent its next request just before our `Connection: close`
    // answer reached it; it is on the wire now. Linger a moment so it is answered 503 (with
    // Connection: close) rather than cut off by the close below.
    if (idle) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(drainLingerMs, graceMs)));
      await lifecycle.waitIdle(graceMs);
    }
    endpoint.flush();
    this.budget.stop();
    endpoint.closeAll(1001, 'server shutting down');
    closeApp(app);
    // After closeAll: a thread applies the close frames queued for its sockets before it closes.
    await ioThreads.close();
    legacy?.closeAll();
    await this.#engine.close();
    lifecycle.markStopped();
    logger.info('tessera stopped');
  }
}

export async function startServer(config: ServerConfig, logger: Logger, options: StartOptions = {}): Promise<RunningServer> {
  const uws = options.uws ?? loadUws();
  // Before the engine opens: a node that cannot read its certificate should not start at all.
  const app = createApp(uws, config.tls);
  const engine = options.engine ?? (await openEngine(config.engine));
  const persistence = options.persistence ?? null;
  const ioThreadCount = config.ioThreads;
  const ioThreads = new IoThreadHost(logger);
  const front = new Front(config, logger, engine, ioThreads.publisher(app), persistence, ioThreads);
  // The routes are recorded as they are registered, for the I/O threads' relayed requests.
  const routes = new RouteTable();
  front.register(uws, routes.recording(app));
  let listenSocket: us_listen_socket;
  let legacy: LegacyHttpListener | null = null;
  let legacyHttpPort: number | null = null;
  try {
    // Several threads: a port checked free, and 0 resolved to a real one (port-probe.ts says why).
    const listenPort = ioThreadCount > 1 ? await checkPortFree(config.host, config.port) : config.port;
    listenSocket = listen(uws, app, config.host, listenPort, ioThreadCount > 1);
    if (ioThreadCount > 1) {
      const port = uws.us_socket_local_port(listenSocket);
      await ioThreads.start({ extraThreads: ioThreadCount - 1, host: config.host, port, tls: config.tls, routes, localReads: front.localReads(config) }).catch((error: unknown) => {
        uws.us_listen_socket_close(listenSocket);
        throw error;
      });
      front.keepGate();
    }
    if (config.legacyHttpPort !== null) {
      legacy = new LegacyHttpListener(front.legacyRoutes(), config.tls);
      legacyHttpPort = await legacy.listen(config.host, config.legacyHttpPort);
    }
  } catch (error: unknown) {
    closeApp(app);
    await ioThreads.close();
    await engine.close();
    throw error;
  }
  const port = uws.us_socket_local_port(listenSocket);
  const stats = engine.stats();
  const persisting = persistence?.persistenceStats() ?? null;
  // The start line says where the data lives and what an ack promises (or that nothing persists).
  const durability = persisting === null ? { persistence: false } : { dataDir: persisting.dataDir, fsync: persisting.fsync, persistenceState: persisting.state };
  // And a summary of the config it runs with (the whole of it: tessera config print).
  const summary = {
    namespaceLimits: Object.fromEntries(stats.namespaces.map((namespace) => [namespace.name, `${namespace.mode} ${formatByteSize(namespace.memoryLimitBytes)}`])),
    accessTokens: config.auth.tokens.length,
    replicaOf: config.replicaOf,
    maxConnections: config.limits.maxConnections,
    shutdownGraceMs: config.limits.shutdownGraceMs,
  };
  logger.info({ version: tesseraVersion, host: config.host, port, legacyHttpPort, tls: config.tls !== null, namespaces: stats.namespaces.map((namespace) => namespace.name), shards: stats.shards, ioThreads: ioThreadCount, ...durability, ...summary }, 'tessera listening');
  let stopping: Promise<void> | null = null;
  const serverNames = new Set<string>();
  return {
    host: config.host,
    port,
    stop(reason: string): Promise<void> {
      stopping ??= front.drainAndClose(uws, app, listenSocket, legacy, config.limits.shutdownGraceMs, logger, reason);
      return stopping;
    },
    reloadTls(): void {
      if (config.tls === null || stopping !== null) return;
      try {
        const names = reloadServerNames(app, config.tls, serverNames);
        ioThreads.reloadTls();
        legacy?.reloadTls();
        logger.info({ certFile: config.tls.certFile, serverNames: names }, 'tls reloaded');
      } catch (error: unknown) {
        // The certificate in use stays in use: a bad renewal must not take the node down.
        logger.error({ err: error }, `tls reload failed, keeping the current certificate: ${reasonOf(error)}`);
      }
    },
  };
}
