// The operator dashboard in headless Chromium against a real server: the page loads its assets
// from Tessera alone, its charts draw from live figures while writes run, the change feed shows a
// write, the key browser lists keys and opens a record. A screenshot is kept as an artifact.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { launchChromium, type HeadlessChromium } from '../client/chromium.fixture';
import { connect, type Client } from '../client';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';
import { createTokenEntry } from './token-command';

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

/** Writes small bursts until stopped or the time bound passes. */
function writeLoad(durationMsMax: number): { stop: () => Promise<number> } {
  let running = true;
  let written = 0;
  const done = (async () => {
    const endMs = performance.now() + durationMsMax;
    for (let round = 0; running && performance.now() < endMs && round < 10_000; round++) {
      await Promise.all(Array.from({ length: 50 }, (_, index) => writer.put('content', `articles/load-${round % 20}-${index}`, `body ${round}`, { contentType: 'text/plain' })));
      await writer.get('content', 'articles/load-0-0');
      written += 50;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return written;
    },
  };
}

test('the dashboard loads, charts live figures, shows a change, browses keys', async (context) => {
  const html = await fetch(`${server.httpUrl}/dashboard`);
  assert.equal(html.status, 200);
  assert.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
  const chart = await fetch(`${server.httpUrl}/assets/chart.js`);
  assert.equal(chart.status, 200);
  assert.match(await chart.text(), /Chart\.js v4/);

  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1400, height: 1000 });
  const pageErrors: string[] = [];
  const outside: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  page.on('request', (request) => {
    if (!request.url().startsWith(server.httpUrl) && !request.url().startsWith(server.wsUrl.replace('/v1/ws', ''))) outside.push(request.url());
  });
  await page.goto(`${server.httpUrl}/dashboard`);
  // Browser-side code as strings: this project compiles without the DOM library.
  await page.waitForFunction("document.getElementById('connection').textContent === 'ready'", undefined, { timeout: 15_000 });

  const load = writeLoad(15_000);
  try {
    await page.waitForFunction(
      "(() => { const d = window.tesseraDashboard; return d.samples >= 4 && d.charts.ops.data.datasets[0].data.some((v) => v > 0) && d.charts.latency.data.datasets[2].data.some((v) => v !== null); })()",
      undefined,
      { timeout: 15_000, polling: 200 },
    );
  } finally {
    context.diagnostic(`${await load.stop()} puts written while the charts drew`);
  }
  const opsPoints = (await page.evaluate('window.tesseraDashboard.charts.ops.data.datasets[0].data')) as (number | null)[];
  assert.ok(opsPoints.some((value) => value !== null && value > 0), `ops/s points: ${opsPoints.join(', ')}`);
  const records = await page.evaluate("document.getElementById('namespaces').textContent");
  assert.match(String(records), /content/);

  await page.selectOption('#feed-ns', 'content');
  await page.fill('#feed-prefix', 'articles/');
  await page.click('#feed-form button[type=submit]');
  await page.waitForFunction("document.getElementById('feed-status').textContent.startsWith('watching')", undefined, { timeout: 10_000 });
  await writer.put('content', 'articles/feed-check', 'shown in the feed');
  await page.waitForFunction("document.getElementById('feed').textContent.includes('put articles/feed-check')", undefined, { timeout: 10_000 });

  await page.selectOption('#scan-ns', 'content');
  await page.fill('#scan-prefix', 'articles/feed');
  await page.click('#scan-form button[type=submit]');
  await page.waitForFunction("document.querySelectorAll('#keys tr').length === 1", undefined, { timeout: 10_000 });
  await page.click('#keys tr');
  await page.waitForFunction("document.getElementById('record-value').textContent === 'shown in the feed'", undefined, { timeout: 10_000 });

  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-dashboard-'));
  const screenshot = path.join(folder, 'dashboard.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  context.diagnostic(`screenshot: ${screenshot}`);
  assert.ok(fs.statSync(screenshot).size > 10_000, 'a screenshot with something on it');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(outside, [], 'no request leaves the server');
});

test('with tokens configured the dashboard takes one (#token= or the field) and uses it for /status, /metrics and /v1/ws', async () => {
  const admin = createTokenEntry('operator', { '*': 'admin' });
  const guarded = await spawnServer({ config: { ...testConfig(), auth: { tokens: [admin.entry] } } });
  const seeder = await connect(guarded.wsUrl, { token: admin.token, reconnect: false });
  try {
    await seeder.put('content', 'articles/guarded', 'seen with a token');
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));

    // No token: the page says what is missing instead of failing silently.
    await page.goto(`${guarded.httpUrl}/dashboard`);
    await page.waitForFunction("document.getElementById('connection').textContent === 'not connected'", undefined, { timeout: 15_000 });
    await page.waitForFunction("document.getElementById('page-error').textContent.includes('needs an access token')", undefined, { timeout: 10_000 });
    assert.match(String(await page.evaluate("document.getElementById('token-note').textContent")), /access token/);

    // #token=: moved to sessionStorage, gone from the address bar, sent on every channel.
    await page.goto(`${guarded.httpUrl}/dashboard#token=${encodeURIComponent(admin.token)}`);
    await page.waitForFunction("document.getElementById('connection').textContent === 'ready'", undefined, { timeout: 15_000 });
    assert.equal(new URL(page.url()).hash, '', 'the token left the address bar');
    assert.equal(await page.evaluate("sessionStorage.getItem('tessera-token')"), admin.token);
    await page.waitForFunction("document.getElementById('namespaces').textContent.includes('content') && window.tesseraDashboard.samples >= 1", undefined, { timeout: 10_000 });
    await page.waitForFunction("document.getElementById('page-error').textContent === ''", undefined, { timeout: 10_000 });
    await page.selectOption('#scan-ns', 'content');
    await page.fill('#scan-prefix', 'articles/guarded');
    await page.click('#scan-form button[type=submit]');
    await page.waitForFunction("document.querySelectorAll('#keys tr').length === 1", undefined, { timeout: 10_000 });
    await page.close();

    // The field: a fresh tab (empty sessionStorage) takes a token typed in, then reloads with it.
    const typed = await browser.context.newPage();
    await typed.goto(`${guarded.httpUrl}/dashboard`);
    await typed.waitForFunction("document.getElementById('connection').textContent === 'not connected'", undefined, { timeout: 15_000 });
    await typed.fill('#token', admin.token);
    await Promise.all([typed.waitForEvent('load'), typed.click('#token-form button[type=submit]')]);
    await typed.waitForFunction("document.getElementById('connection').textContent === 'ready'", undefined, { timeout: 15_000 });
    await typed.waitForFunction("document.getElementById('namespaces').textContent.includes('content')", undefined, { timeout: 10_000 });
    await typed.close();
    assert.deepEqual(pageErrors, []);
  } finally {
    await seeder.close();
    await guarded.stop();
  }
});
