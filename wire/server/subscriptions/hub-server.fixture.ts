// Test support (not a test): the hub in a real uWS app, in process, with the model engine and a
// minimal endpoint (decode, subscribe/unsubscribe to the hub, other ops to the engine, answers
// sent once per turn as the real endpoint does). It checks the hub against real uWS pub/sub and
// the real client without the rest of the server; the end-to-end tests use the real server.

import type { TemplatedApp, us_listen_socket, WebSocket } from 'uWebSockets.js';
import { ModelEngine } from '../../../engine/front/model-engine';
import type { EngineConfigInput } from '../../../engine/front/config';
import type { NamespaceConfig, Op } from '../../../engine/layout/types';
import { decodeRequest, encodeResponse, type ResultInput } from '../../codec';
import { loadUws } from '../load-uws';
import type { SubscriberSession } from './subscriber-session';
import { SubscriptionHub, type HubOptions, type SubscriptionLimits } from './subscription-hub';

interface Connection {
  session: SubscriberSession | null;
  socket: WebSocket<Connection> | null;
}

export class HubServer {
  readonly engine: ModelEngine;
  readonly hub: SubscriptionHub;
  readonly url: string;
  readonly #uws = loadUws();
  readonly #app: TemplatedApp;
  readonly #listenSocket: us_listen_socket;
  readonly #open = new Set<Connection>();
  /** Connections opened so far (reconnects included). */
  opened = 0;

  private constructor(engine: ModelEngine, hub: SubscriptionHub, app: TemplatedApp, listenSocket: us_listen_socket, port: number) {
    this.engine = engine;
    this.hub = hub;
    this.#app = app;
    this.#listenSocket = listenSocket;
    this.url = `ws://127.0.0.1:${port}/v1/ws`;
  }

  static start(engineConfig: EngineConfigInput, limits: SubscriptionLimits, options: HubOptions = {}, backpressureBytesMax = 64 * 1024 * 1024): HubServer {
    const uws = loadUws();
    const engine = new ModelEngine(engineConfig);
    const namespaces = new Map<string, NamespaceConfig>(engine.namespaces.map((namespace) => [namespace.name, namespace]));
    const app = uws.App();
    const hub = new SubscriptionHub(engine.changes, app, namespaces, limits, options);
    const holder: { server: HubServer | null } = { server: null };
    app.ws<Connection>('/v1/ws', {
      compression: uws.DISABLED,
      maxPayloadLength: 16 * 1024 * 1024,
      maxBackpressure: backpressureBytesMax,
      closeOnBackpressureLimit: 1,
      idleTimeout: 0,
      upgrade: (res, req, context) => {
        res.upgrade<Connection>({ session: null, socket: null }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => {
        const connection = ws.getUserData();
        connection.socket = ws;
        connection.session = hub.open(ws);
        holder.server?.track(connection, true);
      },
      message: (ws, message) => holder.server?.onMessage(ws.getUserData(), message),
      close: (ws) => {
        const connection = ws.getUserData();
        connection.socket = null;
        if (connection.session !== null) hub.close(connection.session);
        holder.server?.track(connection, false);
      },
    });
    let listenSocket: us_listen_socket | false = false;
    app.listen('127.0.0.1', 0, (socket) => {
      listenSocket = socket;
    });
    if (listenSocket === false) throw new Error('cannot listen');
    holder.server = new HubServer(engine, hub, app, listenSocket, uws.us_socket_local_port(listenSocket));
    return holder.server;
  }

  get connections(): number {
    return this.#open.size;
  }

  /** Drops every connection without a close frame (a cut network, as the client sees it). */
  cutAll(): void {
    for (const connection of [...this.#open]) connection.socket?.close();
  }

  async stop(): Promise<void> {
    this.hub.stop();
    this.#uws.us_listen_socket_close(this.#listenSocket);
    for (const connection of [...this.#open]) connection.socket?.close();
    await this.engine.close();
  }

  track(connection: Connection, open: boolean): void {
    if (open) {
      this.#open.add(connection);
      this.opened++;
    } else {
      this.#open.delete(connection);
    }
  }

  onMessage(connection: Connection, message: ArrayBuffer): void {
    const decoded = decodeRequest(new Uint8Array(message.slice(0)));
    if (!decoded.ok || connection.session === null) throw new Error('test hub server: bad request');
    const session = connection.session;
    const results: (ResultInput | Promise<ResultInput>)[] = [];
    for (const op of decoded.ops) {
      if (op.op === 'subscribe') results.push(this.hub.subscribe(session, op));
      else if (op.op === 'unsubscribe') results.push(this.hub.unsubscribe(session, op));
      else if (op.op === 'scan') throw new Error('test hub server: no scans');
      else results.push(this.engine.execute(op as Op));
    }
    void Promise.all(results).then((settled) => {
      // As the endpoint: answers leave in a later turn, after whatever was published meanwhile.
      setImmediate(() => connection.socket?.send(encodeResponse(decoded.id, settled), true));
    });
  }
}
