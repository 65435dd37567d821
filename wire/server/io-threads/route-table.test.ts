// RouteTable: recording() registers every route on the app as before and in the table; relayed
// requests are matched in uWS's order (static before wildcard, longer wildcard first, a method's
// own handler before `any`); WebSocket settings reach the I/O threads with uWS's defaults.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocketBehavior } from 'uWebSockets.js';
import { InvariantError } from '../../../engine/layout/assert';
import { loadUws } from '../load-uws';
import { RouteTable, type HttpHandler } from './route-table';

interface FakeApp {
  calls: [string, string][];
  wsBehaviors: Map<string, unknown>;
  label: string;
  get(pattern: string, handler: HttpHandler): FakeApp;
  post(pattern: string, handler: HttpHandler): FakeApp;
  del(pattern: string, handler: HttpHandler): FakeApp;
  put(pattern: string, handler: HttpHandler): FakeApp;
  any(pattern: string, handler: HttpHandler): FakeApp;
  ws(pattern: string, behavior: unknown): FakeApp;
  publish(topic: string): unknown;
  numSubscribers(topic: string): number;
}

/** A stand-in for a uWS app that records the routes registered on it. */
function fakeApp(): FakeApp {
  const app: FakeApp = {
    calls: [],
    wsBehaviors: new Map(),
    label: 'the fake app',
    get(pattern) { this.calls.push(['get', pattern]); return this; },
    post(pattern) { this.calls.push(['post', pattern]); return this; },
    del(pattern) { this.calls.push(['del', pattern]); return this; },
    put(pattern) { this.calls.push(['put', pattern]); return this; },
    any(pattern) { this.calls.push(['any', pattern]); return this; },
    ws(pattern, behavior) { this.calls.push(['ws', pattern]); this.wsBehaviors.set(pattern, behavior); return this; },
    publish() { return this; },
    numSubscribers(topic) { return topic.length; },
  };
  return app;
}

/** A handler that can be told apart from the others by its name. */
function named(name: string): HttpHandler & { routeName: string } {
  const handler = ((_res: HttpResponse, _req: HttpRequest) => undefined) as HttpHandler & { routeName: string };
  handler.routeName = name;
  return handler;
}

function nameOf(handler: HttpHandler | null): string | null {
  return handler === null ? null : (handler as HttpHandler & { routeName: string }).routeName;
}

function recorded(): { table: RouteTable; app: FakeApp; wrapped: TemplatedApp } {
  const table = new RouteTable();
  const app = fakeApp();
  return { table, app, wrapped: table.recording(app as unknown as TemplatedApp) };
}

test('recording() registers each route on the app, in call order, and chains like the app', () => {
  const { table, app, wrapped } = recorded();
  const behavior: WebSocketBehavior<unknown> = { maxPayloadLength: 1 };
  const chained = wrapped.get('/a', named('get a')).post('/b', named('post b')).del('/c', named('del c')).any('/*', named('any')).ws('/ws', behavior);
  assert.equal(chained, wrapped, 'each registration answers the wrapper, so chains keep recording');
  assert.deepEqual(app.calls, [['get', '/a'], ['post', '/b'], ['del', '/c'], ['any', '/*'], ['ws', '/ws']]);
  assert.equal(app.wsBehaviors.get('/ws'), behavior, 'the app gets the very behavior');
  assert.equal(nameOf(table.httpHandler('get', '/a')), 'get a');
  assert.equal(nameOf(table.httpHandler('post', '/b')), 'post b');
  assert.equal(table.wsBehavior('/ws'), behavior);
});

test('a static pattern beats a wildcard that also matches, whatever the registration order', () => {
  const { table, wrapped } = recorded();
  wrapped.get('/v1/*', named('wildcard')).get('/v1/status', named('static'));
  assert.equal(nameOf(table.httpHandler('get', '/v1/status')), 'static');
  assert.equal(nameOf(table.httpHandler('get', '/v1/other')), 'wildcard');
  assert.equal(nameOf(table.httpHandler('get', '/v1/')), 'wildcard', 'the wildcard matches its bare prefix');
});

test('a longer wildcard beats a shorter one, whatever the registration order', () => {
  const { table, wrapped } = recorded();
  wrapped.get('/*', named('root')).get('/v1/ns/*', named('long')).get('/v1/*', named('short'));
  assert.equal(nameOf(table.httpHandler('get', '/v1/ns/key')), 'long');
  assert.equal(nameOf(table.httpHandler('get', '/v1/other')), 'short');
  assert.equal(nameOf(table.httpHandler('get', '/elsewhere')), 'root');
});

test("a method's own handler beats `any` on the same pattern; `any` serves the other methods", () => {
  const { table, wrapped } = recorded();
  wrapped.any('/x', named('any x')).get('/x', named('get x'));
  assert.equal(nameOf(table.httpHandler('get', '/x')), 'get x');
  assert.equal(nameOf(table.httpHandler('post', '/x')), 'any x');
  assert.equal(nameOf(table.httpHandler('delete', '/x')), 'any x');
});

test('the pattern ranks before the method: a static `any` beats a wildcard GET', () => {
  const { table, wrapped } = recorded();
  wrapped.get('/v1/*', named('get wildcard')).any('/v1/status', named('any static'));
  assert.equal(nameOf(table.httpHandler('get', '/v1/status')), 'any static');
});

test("`del` serves the method 'delete' and no other", () => {
  const { table, wrapped } = recorded();
  wrapped.del('/v1/*', named('del'));
  assert.equal(nameOf(table.httpHandler('delete', '/v1/key')), 'del');
  assert.equal(table.httpHandler('del', '/v1/key'), null, "uWS's getMethod() says 'delete', never 'del'");
  assert.equal(table.httpHandler('get', '/v1/key'), null);
});

test('no matching route gives null (uWS answers 404 itself)', () => {
  const { table, wrapped } = recorded();
  assert.equal(table.httpHandler('get', '/'), null, 'an empty table');
  wrapped.get('/a', named('a')).post('/b/*', named('b'));
  assert.equal(table.httpHandler('get', '/b/x'), null, 'the pattern matches but not the method');
  assert.equal(table.httpHandler('get', '/ab'), null, 'a static pattern matches the whole url only');
  assert.equal(table.httpHandler('get', '/a/'), null);
  assert.equal(table.httpHandler('post', '/b'), null, 'a wildcard needs its slash');
  assert.equal(table.wsBehavior('/a'), null, 'an HTTP route is no WebSocket route');
});

test('wsSettings(): the settings a behavior gives, and uWS defaults for those it leaves out', () => {
  const { table, wrapped } = recorded();
  wrapped.ws('/bare', {});
  wrapped.ws('/set', { compression: 1, maxPayloadLength: 1024, maxBackpressure: 2048, closeOnBackpressureLimit: 1, idleTimeout: 30, sendPingsAutomatically: false });
  wrapped.ws('/zero', { closeOnBackpressureLimit: 0, idleTimeout: 0, maxBackpressure: 0 });
  assert.deepEqual(table.wsSettings(), [
    { pattern: '/bare', compression: 0, maxPayloadLength: 16 * 1024, maxBackpressure: 64 * 1024, closeOnBackpressureLimit: false, idleTimeout: 120, sendPingsAutomatically: true },
    { pattern: '/set', compression: 1, maxPayloadLength: 1024, maxBackpressure: 2048, closeOnBackpressureLimit: true, idleTimeout: 30, sendPingsAutomatically: false },
    { pattern: '/zero', compression: 0, maxPayloadLength: 16 * 1024, maxBackpressure: 0, closeOnBackpressureLimit: false, idleTimeout: 0, sendPingsAutomatically: true },
  ]);
  const settings = table.wsSettings();
  for (const route of settings) assert.equal(typeof route.closeOnBackpressureLimit, 'boolean');
  assert.doesNotThrow(() => structuredClone(settings), 'settings cross to a worker (no functions)');
});

test('properties other than routes pass through, functions bound to the app itself', () => {
  const { app, wrapped } = recorded();
  const loose = wrapped as unknown as FakeApp;
  assert.equal(loose.label, 'the fake app');
  assert.equal(loose.publish('topic'), app, 'called with `this` the app, not the wrapper');
  const detached = loose.numSubscribers;
  assert.equal(detached('four'), 4, 'a method taken off the wrapper still works');
  const detachedPublish = loose.publish;
  assert.equal(detachedPublish('t'), app);
  assert.deepEqual(app.calls, [], 'no route registered');
});

test("a parameter pattern (':id') is refused and registered nowhere", () => {
  const { table, app, wrapped } = recorded();
  assert.throws(() => wrapped.get('/v1/:id', named('param')), InvariantError);
  assert.throws(() => wrapped.any('/x/:name/*', named('param any')), InvariantError);
  assert.deepEqual(app.calls, []);
  assert.equal(table.httpHandler('get', '/v1/:id'), null);
});

test("the table picks the handler a real uWS app picks, for the server's kinds of pattern", async () => {
  const uws = loadUws();
  const table = new RouteTable();
  const app = table.recording(uws.App());
  const names = new Map<HttpHandler, string>();
  const answer = (name: string): HttpHandler => {
    const handler: HttpHandler = (res) => {
      res.end(name);
    };
    names.set(handler, name);
    return handler;
  };
  app.get('/v1/status', answer('get static')).any('/v1/status', answer('any static')).get('/v1/*', answer('get v1'))
    .any('/v1/ns/*', answer('any ns')).del('/v1/ns/*', answer('del ns')).post('/b/*', answer('post b')).get('/*', answer('get root'));
  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (socket) => (socket === false ? reject(new Error('no listen')) : resolve(socket)));
  });
  try {
    const port = uws.us_socket_local_port(listenSocket);
    const cases: [string, string][] = [
      ['GET', '/v1/status'], ['POST', '/v1/status'], ['GET', '/v1/x'], ['GET', '/v1/'], ['GET', '/v1/ns/k'], ['DELETE', '/v1/ns/k'],
      ['PUT', '/v1/ns/k'], ['POST', '/b/x'], ['GET', '/b/x'], ['POST', '/nothing'], ['GET', '/'], ['GET', '/v1'], ['POST', '/b'], ['GET', '/v1/status/'], ['OPTIONS', '/v1/ns/k'],
    ];
    for (const [method, url] of cases) {
      // Where no route matches, this uWS build closes the connection without an answer.
      const body = await fetch(`http://127.0.0.1:${port}${url}`, { method }).then(async (response) => await response.text(), () => null);
      const handler = table.httpHandler(method.toLowerCase(), url);
      if (handler === null) assert.equal(body, null, `${method} ${url}: no route in the table, none in uWS`);
      else assert.equal(names.get(handler), body, `${method} ${url}`);
    }
  } finally {
    uws.us_listen_socket_close(listenSocket);
    (app as unknown as { close(): void }).close();
  }
});
