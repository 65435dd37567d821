// The @tessera/client package (client/, an npm workspace) as a user gets it: `npm pack` of client/,
// unpacked into a temp dir whose node_modules holds it and its one dependency (flatbuffers)
// and nothing else, outside the repository so nothing resolves from the repo's node_modules. There
// it loads by require and by import, talks to a real server, ships the same browser module the
// server serves at /client.mjs, and its types compile under every TypeScript moduleResolution.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { tempDirMaker } from '../../engine/layout/temp-dirs.fixture';
import { spawnServer, testConfig, type ServerProcess } from '../server/server-process.fixture';

const repoRoot = path.join(__dirname, '..', '..', '..');
const packageDir = path.join(repoRoot, 'client');
const tscPath = require.resolve('typescript/bin/tsc');
const tempDir = tempDirMaker('tessera-client-package-');
/** The unpacked package with its dependencies is under 1 MB today (about 0.4 MB of it ours). */
const packageUnpackedBytesMax = 1 << 20;

interface PackResult {
  filename: string;
  unpackedSize: number;
  files: { path: string }[];
}

let consumerDir: string;
let packed: PackResult;
let server: ServerProcess;

/** A consumer project: node_modules/@tessera/client from the tarball, flatbuffers beside it. */
function installPacked(): { directory: string; pack: PackResult } {
  const directory = tempDir();
  const output = execFileSync('npm', ['pack', '--json', '--pack-destination', directory], { cwd: packageDir, encoding: 'utf8', timeout: 60_000 });
  const results = JSON.parse(output) as PackResult[];
  assert.equal(results.length, 1);
  const pack = results[0]!;
  const target = path.join(directory, 'node_modules', '@tessera', 'client');
  fs.mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(directory, pack.filename), '-C', target, '--strip-components=1']);
  for (const dependency of ['flatbuffers']) {
    const source = path.dirname(require.resolve(`${dependency}/package.json`));
    fs.symlinkSync(source, path.join(directory, 'node_modules', dependency), 'dir');
  }
  fs.writeFileSync(path.join(directory, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  return { directory, pack };
}

function runNode(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: consumerDir, encoding: 'utf8', timeout: 30_000 });
}

before(async () => {
  ({ directory: consumerDir, pack: packed } = installPacked());
  server = await spawnServer({ config: testConfig() });
});

after(async () => {
  await server?.stop();
});

test('@tessera/client depends on flatbuffers only, at the range the repository uses', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as Record<string, unknown>;
  const root = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; workspaces: string[] };
  assert.equal(manifest.name, '@tessera/client');
  const dependencies = manifest.dependencies as Record<string, string>;
  assert.deepEqual(Object.keys(dependencies).sort(), ['flatbuffers']);
  assert.equal(dependencies.flatbuffers, root.dependencies.flatbuffers);
  for (const field of ['peerDependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies']) {
    assert.equal(manifest[field], undefined, `${field} is not set`);
  }
  assert.ok(root.workspaces.includes('client'), 'client/ is a workspace of the repository');
});

test('the packed package holds builds and declarations only, and is small', () => {
  const files = packed.files.map((file) => file.path);
  for (const required of ['package.json', 'dist/index.js', 'dist/client.mjs', 'dist/types/wire/client/index.d.ts']) {
    assert.ok(files.includes(required), `${required} is packed`);
  }
  assert.deepEqual(files.filter((file) => /\.(test|fixture|bench)\.|\.ts$/.test(file) && !file.endsWith('.d.ts')), []);
  assert.deepEqual(files.filter((file) => /wire\/server\/|bin\/|uWebSockets/i.test(file)), []);
  assert.ok(packed.unpackedSize < packageUnpackedBytesMax, `unpacked ${packed.unpackedSize} bytes`);
  const bundle = fs.readFileSync(path.join(consumerDir, 'node_modules', '@tessera', 'client', 'dist', 'index.js'), 'utf8');
  const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]));
  // Its own WebSocket (node-web-socket.ts) needs only Node's net, tls and crypto.
  assert.deepEqual([...required].sort(), ['flatbuffers', 'node:crypto', 'node:net', 'node:tls'], 'the Node bundle requires its one dependency and Node built-ins only');
});

test('the packed package loads by require and by import, and talks to a server', () => {
  const script = `
    const byRequire = require('@tessera/client');
    import('@tessera/client').then(async (byImport) => {
      if (byImport.connect !== byRequire.connect) throw new Error('import and require differ');
      const client = await byRequire.connect(process.argv[1], { reconnect: false });
      const { generation } = await client.put('content', 'package/check', 'from the package');
      const found = await client.get('content', 'package/check');
      await client.close();
      console.log(JSON.stringify({ generation, value: new TextDecoder().decode(found.value), resolved: require.resolve('@tessera/client') }));
    }).catch((error) => { console.error(error); process.exit(1); });`;
  const result = JSON.parse(runNode(['-e', script, server.wsUrl])) as { generation: number; value: string; resolved: string };
  assert.equal(result.generation, 1);
  assert.equal(result.value, 'from the package');
  assert.equal(result.resolved, path.join(consumerDir, 'node_modules', '@tessera', 'client', 'dist', 'index.js'));
});

test('the package ships the browser module the server serves at /client.mjs', async () => {
  const shipped = fs.readFileSync(path.join(consumerDir, 'node_modules', '@tessera', 'client', 'dist', 'client.mjs'));
  const response = await fetch(`${server.httpUrl}/client.mjs`);
  assert.equal(response.status, 200);
  assert.ok(Buffer.from(await response.arrayBuffer()).equals(shipped));
  assert.match(shipped.toString('utf8'), /export \{[^}]*\bconnect\b/);
});

test("a bundler targeting browsers picks the package's browser module", () => {
  fs.writeFileSync(path.join(consumerDir, 'page.mjs'), "import { connect } from '@tessera/client';\nconsole.log(connect);\n");
  const esbuild = require('esbuild') as typeof import('esbuild');
  const result = esbuild.buildSync({ entryPoints: [path.join(consumerDir, 'page.mjs')], absWorkingDir: consumerDir, bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.includes('node_modules/@tessera/client/dist/client.mjs'), inputs.join(', '));
  assert.deepEqual(inputs.filter((input) => /node_modules\/(ws|flatbuffers)\//.test(input)), [], 'ws is not bundled; flatbuffers is inside client.mjs already');
});

const consumer = `
import { connect, TesseraError, Status, type Client, type ClientStatus } from '@tessera/client';

export async function main(url: string): Promise<ClientStatus> {
  const client: Client = await connect(url, { queueBytesMax: 1 << 20 });
  client.on('reconnecting', ({ attempt, delayMs }) => void (attempt + delayMs));
  const { generation } = await client.put('content', 'articles/x', 'body', { ttl: 60 });
  const found = await client.get('content', 'articles/x');
  if (found !== null && found.generation !== generation) throw new TesseraError('NotFound', Status.NotFound, 'odd');
  // @ts-expect-error a number is not a key
  await client.put('content', 42, 'body');
  return client.status;
}
`;

const settings: [string, Record<string, string>][] = [
  ['node10', { module: 'commonjs', moduleResolution: 'node10' }],
  ['node16', { module: 'node16', moduleResolution: 'node16' }],
  ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }],
  ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
];

test("the packed package's types resolve under node10, node16, nodenext and bundler", (context) => {
  fs.writeFileSync(path.join(consumerDir, 'consumer.ts'), consumer);
  for (const [name, options] of settings) {
    // No @types/node (types: []): the declarations need nothing from Node.
    const config = { compilerOptions: { ...options, target: 'ES2022', lib: ['ES2022'], types: [], strict: true, noEmit: true, skipLibCheck: false }, files: ['consumer.ts'] };
    const configPath = path.join(consumerDir, `tsconfig.${name}.json`);
    fs.writeFileSync(configPath, JSON.stringify(config));
    let output = '';
    try {
      execFileSync(process.execPath, [tscPath, '-p', configPath], { cwd: consumerDir, encoding: 'utf8', timeout: 60_000 });
    } catch (error: unknown) {
      output = String((error as { stdout?: unknown }).stdout ?? error);
    }
    assert.equal(output, '', `moduleResolution ${name}:\n${output}`);
    context.diagnostic(`moduleResolution ${name}: compiles`);
  }
});
