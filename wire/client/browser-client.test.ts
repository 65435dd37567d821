// The browser build of the client, in headless Chromium: a page that imports /client.mjs from a
// real Tessera server subscribes to a prefix and shows the changes this (Node) process writes.

import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { spawnServer, testConfig, type ServerProcess } from '../server/server-process.fixture';
import { launchChromium, type HeadlessChromium } from './chromium.fixture';
import { connect, type Client } from './client';

let server: ServerProcess;
let browser: HeadlessChromium;
let writer: Client;

before(async () => {
  server = await spawnServer({ config: testConfig() });
  browser = await launchChromium();
  writer = await connect(server.wsUrl, { reconnect: false });
});

after(async () => {
  await writer?.close();
  await browser?.close();
  await server?.stop();
});

/** The page: imports the client from the server, subscribes to content/articles/, lists changes. */
const page = `<!doctype html>
<meta charset="utf-8">
<title>subscriber</title>
<ul id="changes"></ul>
<script type="module">
  import { connect } from '/client.mjs';
  const text = (bytes) => (bytes === null ? '' : new TextDecoder().decode(bytes));
  try {
    const client = await connect('ws://' + location.host + '/v1/ws');
    const subscription = client.subscribe({ ns: 'content', prefix: 'articles/' });
    await subscription.ready;
    document.body.dataset.status = client.status;
    for await (const event of subscription) {
      const item = document.createElement('li');
      item.textContent = event.kind + ' ' + text(event.key) + ' ' + text(event.value);
      document.getElementById('changes').append(item);
    }
  } catch (error) {
    document.body.dataset.error = String(error);
  }
</script>`;

test('a page importing /client.mjs shows the changes another process writes', async () => {
  const response = await fetch(`${server.httpUrl}/client.mjs`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
  const bundle = await response.text();
  assert.match(bundle, /export \{[^}]*\bconnect\b/, 'an ES module exporting connect');
  assert.doesNotMatch(bundle, /from ["']flatbuffers["']/, 'the FlatBuffers runtime is bundled in');

  const tab = await browser.context.newPage();
  const pageErrors: string[] = [];
  tab.on('pageerror', (error) => pageErrors.push(String(error)));
  // Same origin as the server, so the module and the WebSocket come from where the page is.
  await tab.goto(`${server.httpUrl}/client.mjs`);
  await tab.setContent(page);
  // Browser-side code as strings: this project compiles without the DOM library.
  await tab.waitForFunction('document.body.dataset.status !== undefined || document.body.dataset.error !== undefined', undefined, { timeout: 15_000 });
  assert.equal(await tab.evaluate('document.body.dataset.error ?? null'), null, pageErrors.join('\n'));
  assert.equal(await tab.evaluate('document.body.dataset.status'), 'ready');

  await writer.put('content', 'articles/one', 'first');
  await writer.put('content', 'elsewhere/x', 'not under the prefix');
  await writer.put('content', 'articles/two', 'second');
  await writer.delete('content', 'articles/one');
  await tab.waitForFunction("document.querySelectorAll('#changes li').length >= 3", undefined, { timeout: 15_000 });
  const shown = await tab.evaluate("[...document.querySelectorAll('#changes li')].map((item) => item.textContent)");
  assert.deepEqual(shown, ['put articles/one first', 'put articles/two second', 'delete articles/one ']);
  assert.deepEqual(pageErrors, []);
});
