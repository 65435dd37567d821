// Security review, finding 1, in a real browser: a stored text/html value, opened on the node's own
// origin, runs sandboxed (CSP sandbox without allow-same-origin: an opaque origin). Its script runs,
// but cannot open /v1/ws (the upgrade carries Origin: null, refused), cannot read a record, and
// cannot write one (a cross-origin PUT fails its preflight; a no-cors POST carries Origin: null and
// is refused by the write guard). Headless Chromium against a real server process.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { launchChromium, type HeadlessChromium } from '../client/chromium.fixture';
import { rawHttp } from './raw-http.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;
let browser: HeadlessChromium;

// Browser-side code as a string: this project compiles without the DOM library.
const page = `<!doctype html><title>stored</title><script>
window.attack = (async () => {
  const outcome = {};
  outcome.origin = String(self.origin);
  outcome.ws = await new Promise((resolve) => {
    try {
      const socket = new WebSocket('ws://' + location.host + '/v1/ws');
      socket.onopen = () => { socket.close(); resolve('open'); };
      socket.onerror = () => resolve('refused');
      setTimeout(() => resolve('timeout'), 5000);
    } catch (error) { resolve('threw'); }
  });
  outcome.read = await fetch('/v1/content/secret').then((response) => 'status ' + response.status, () => 'blocked');
  outcome.put = await fetch('/v1/content/pwned', { method: 'PUT', body: 'owned' }).then((response) => 'status ' + response.status, () => 'blocked');
  outcome.post = await fetch('/v1/content/pwned', { method: 'POST', mode: 'no-cors', body: 'owned' }).then(() => 'sent', () => 'blocked');
  return outcome;
})();
</script>`;

before(async () => {
  server = await spawnServer({ config: testConfig() });
  browser = await launchChromium();
  for (const [key, body, type] of [['page', page, 'text/html'], ['secret', 'do not read', 'text/plain']]) {
    const put = await rawHttp(server.port, `PUT /v1/content/${key} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body as string)}\r\n\r\n${body}`, { expectResponses: 1 });
    assert.equal(put.responses[0]?.status, 201, put.raw.toString());
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a stored HTML page runs in an opaque origin: no WebSocket, no read, no write', async () => {
  const tab = await browser.context.newPage();
  await tab.goto(`${server.httpUrl}/v1/content/page`);
  const outcome = (await tab.evaluate('window.attack')) as Record<string, string>;
  assert.equal(outcome.origin, 'null', 'the page has an opaque origin');
  assert.notEqual(outcome.ws, 'open', `WebSocket: ${outcome.ws}`);
  assert.equal(outcome.read, 'blocked', `read: ${outcome.read}`);
  assert.equal(outcome.put, 'blocked', `PUT: ${outcome.put}`);
  const got = await rawHttp(server.port, 'GET /v1/content/pwned HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { expectResponses: 1 });
  assert.equal(got.responses[0]?.status, 404, 'nothing was written');
});
