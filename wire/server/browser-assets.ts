// Files the server hands to browsers: GET /client.mjs, the browser build of the client (one ES
// module bundled by esbuild at `npm run build`, FlatBuffers runtime included, the browser's own
// WebSocket), so a page can `import { connect } from '/client.mjs'`; and the operator dashboard
// with its charting library, served from node_modules so the page needs no outside network.
//
// Files are read once, on the first request, and kept: they are built or installed before the
// server starts and never change while it runs. A file that is missing (a build without the
// bundle step) answers 404 with what to run, never a crash.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { Status } from '../../engine/layout/status';
import { dashboardPage } from './dashboard-page';
import { HttpExchange, type ExchangeContext } from './http-exchange';

interface Asset {
  readonly route: string;
  readonly contentType: string;
  /** Where the bytes come from, resolved on the first request. */
  readonly load: () => Uint8Array;
  readonly missingHint: string;
}

/** dist/wire/server -> dist/browser, where `npm run build:client` writes the bundle. */
export const clientBundlePath = path.join(__dirname, '..', '..', 'browser', 'client.mjs');

function chartPath(): string {
  // chart.js's "exports" hide the UMD file; its folder is found from the entry it does export.
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
}

const assets: readonly Asset[] = [
  {
    route: '/client.mjs',
    contentType: 'text/javascript; charset=utf-8',
    load: () => fs.readFileSync(clientBundlePath),
    missingHint: 'the browser client is not built: run `npm run build` (or `npm run build:client`)',
  },
  {
    route: '/assets/chart.js',
    contentType: 'text/javascript; charset=utf-8',
    load: () => fs.readFileSync(chartPath()),
    missingHint: 'chart.js is not installed: run `npm install`',
  },
  {
    route: '/dashboard',
    contentType: 'text/html; charset=utf-8',
    load: () => new TextEncoder().encode(dashboardPage),
    missingHint: 'the dashboard page is missing',
  },
];

/** The server's route guard (the Host check, server.ts): a DNS-rebound page must not load these either. */
export type RouteGuard = (handler: (res: HttpResponse, req: HttpRequest) => void) => (res: HttpResponse, req: HttpRequest) => void;

/** Registers a GET route per asset, behind the guard (static routes win over the /* catch-all in uWS). */
export function registerBrowserAssets(app: TemplatedApp, context: ExchangeContext, guard: RouteGuard): void {
  for (const asset of assets) {
    let bytes: Uint8Array | null = null;
    app.get(asset.route, guard((res: HttpResponse, _req: HttpRequest) => {
      const exchange = new HttpExchange(res, context, false);
      if (bytes === null) {
        try {
          bytes = asset.load();
        } catch {
          exchange.refuse(Status.NotFound, asset.missingHint);
          return;
        }
      }
      const body = bytes;
      exchange.respond((response) => {
        response
          .writeStatus('200 OK')
          .writeHeader('Content-Type', asset.contentType)
          .writeHeader('Cache-Control', 'no-cache')
          .writeHeader('X-Content-Type-Options', 'nosniff')
          // Public, credential-free files: a page of any origin may import the client.
          .writeHeader('Access-Control-Allow-Origin', '*')
          .end(body);
      });
    }));
  }
}
