// Builds the @tessera/client package from the client's sources in wire/client/ (they stay there,
// compiled by the root tsc too, so `tessera/client` and every test keep importing them):
//   dist/index.js     Node (CommonJS, also importable from ES modules): flatbuffers stays
//                     external, so it is the package's only dependency; the client's own WebSocket
//                     (wire/client/node-web-socket.ts) is bundled in.
//   dist/client.mjs   browsers: one ES module, FlatBuffers included, the browser's own WebSocket
//                     (the Node transport is left out: it is only required under Node). The server serves the same file at
//                     /client.mjs, copied to ../dist/browser/ because the server's package ships
//                     dist/ only.
//   dist/types/       declarations, emitted by tsc with tsconfig.json (the client's files and the
//                     engine/layout and wire/codec modules they import, nothing of the server).
// Plain JavaScript because it runs before anything is compiled; run by the root `npm run build`.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const packageDir = __dirname;
const repoRoot = path.join(packageDir, '..');
const entry = path.join(repoRoot, 'wire', 'client', 'index.ts');
const outDir = path.join(packageDir, 'dist');
const serverCopy = path.join(repoRoot, 'dist', 'browser', 'client.mjs');

// Paths in the bundles' comments are relative to the repository, wherever this runs from.
const common = { entryPoints: [entry], bundle: true, absWorkingDir: repoRoot, logLevel: 'warning' };

fs.rmSync(outDir, { recursive: true, force: true });
esbuild.buildSync({ ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['flatbuffers'], outfile: path.join(outDir, 'index.js') });
// The Node transport (net, tls, crypto) stays out of the browser module: it is required only under
// Node, where the browser module is not used.
const nodeTransport = path.join(repoRoot, 'wire', 'client', 'node-web-socket.ts');
esbuild.buildSync({ ...common, platform: 'browser', format: 'esm', target: 'es2022', external: [nodeTransport], outfile: path.join(outDir, 'client.mjs') });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(packageDir, 'tsconfig.json')], { stdio: 'inherit' });
// The package carries the repository's license; a build without it (the Docker build stage copies
// sources only) still builds.
if (fs.existsSync(path.join(repoRoot, 'LICENSE'))) fs.copyFileSync(path.join(repoRoot, 'LICENSE'), path.join(packageDir, 'LICENSE'));
fs.mkdirSync(path.dirname(serverCopy), { recursive: true });
fs.copyFileSync(path.join(outDir, 'client.mjs'), serverCopy);
