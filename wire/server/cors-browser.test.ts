// Issue 13, CORS in a real browser: a page from an allowed origin reads and writes through the
// content API (its PUT passes the preflight, and it can read the exposed ETag, Tessera-Generation
// and Content-Range); a page from another origin gets nothing. Headless Chromium, a real server
// process, and a tiny page server on its own port for each origin.

import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { launchChromium, type HeadlessChromium } from '../client/chromium.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

let server: ServerProcess;
let browser: HeadlessChromium;
let pages: Server;
let pagesPort: number;

// Browser-side code as a string: this project compiles without the DOM library.
function script(api: string): string {
  return `<!doctype html><title>app</title><script>
window.outcome = (async () => {
  const outcome = {};
  try {
    const put = await fetch('${api}/v1/content/cors/doc', { method: 'PUT', body: '0123456789', headers: { 'Content-Type': 'text/plain' } });
    outcome.put = put.status;
    const etag = put.headers.get('ETag');
    outcome.putEtag = etag;
    const again = await fetch('${api}/v1/content/cors/doc', { method: 'PUT', body: 'abcdefghij', headers: { 'If-Match': etag } });
    outcome.conditional = again.status;
    outcome.generation = again.headers.get('Tessera-Generation');
    const ranged = await fetch('${api}/v1/content/cors/doc', { headers: { Range: 'bytes=2-4' } });
    outcome.range = ranged.status + ' ' + ranged.headers.get('Content-Range') + ' ' + (await ranged.text());
  } catch (error) {
    outcome.error = 'blocked';
  }
  return outcome;
})();
</script>`;
}

before(async () => {
  pages = createServer((request, response) => {
    response.setHeader('Content-Type', 'text/html');
    response.end(script(`http://127.0.0.1:${server.port}`));
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pagesPort = (pages.address() as AddressInfo).port;
  // Only pages served as http://127.0.0.1:<pagesPort> may use the API; http://localhost:<pagesPort> is another origin.
  server = await spawnServer({ config: { ...testConfig(), allowedOrigins: [`http://127.0.0.1:${pagesPort}`] } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise<void>((resolve) => pages?.close(() => resolve()));
});

test('a page from an allowed origin writes, writes conditionally and reads a range, seeing the exposed headers', async () => {
  const tab = await browser.context.newPage();
  await tab.goto(`http://127.0.0.1:${pagesPort}/`);
  const outcome = (await tab.evaluate('window.outcome')) as Record<string, unknown>;
  assert.equal(outcome['error'], undefined, JSON.stringify(outcome));
  assert.equal(outcome['put'], 201);
  assert.match(String(outcome['putEtag']), /^"\d+-1"$/, 'ETag is exposed');
  assert.equal(outcome['conditional'], 200, 'If-Match passes the preflight');
  assert.equal(outcome['generation'], '2', 'Tessera-Generation is exposed');
  assert.equal(outcome['range'], '206 bytes 2-4/10 cde', 'Range passes the preflight; Content-Range is exposed');
});

test('a page from another origin gets nothing', async () => {
  const tab = await browser.context.newPage();
  await tab.goto(`http://localhost:${pagesPort}/`);
  const outcome = (await tab.evaluate('window.outcome')) as Record<string, unknown>;
  assert.equal(outcome['error'], 'blocked', JSON.stringify(outcome));
});
