// `import { connect } from 'tessera/client'` type-checks under every TypeScript moduleResolution:
// node10 (which ignores package.json "exports"; "typesVersions" maps the subpath for it), node16,
// nodenext and bundler. A consumer package in a temp dir gets node_modules/tessera -> this repo,
// and tsc compiles it under each setting; a misuse marked @ts-expect-error proves the types are
// the real ones, not `any`.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { tempDirMaker } from '../../engine/layout/temp-dirs.fixture';

const repoRoot = path.join(__dirname, '..', '..', '..');
const tscPath = require.resolve('typescript/bin/tsc');
const tempDir = tempDirMaker('tessera-typings-');

const consumer = `
import { connect, TesseraError, type Client, type ClientStatus } from 'tessera/client';
import { Status } from 'tessera';

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

test("'tessera/client' types resolve under node10, node16, nodenext and bundler", (context) => {
  assert.ok(fs.existsSync(path.join(repoRoot, 'dist', 'wire', 'client', 'index.d.ts')), 'the build has emitted declarations');
  const directory = tempDir();
  fs.mkdirSync(path.join(directory, 'node_modules'));
  fs.symlinkSync(repoRoot, path.join(directory, 'node_modules', 'tessera'), 'dir');
  fs.writeFileSync(path.join(directory, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  fs.writeFileSync(path.join(directory, 'consumer.ts'), consumer);
  for (const [name, options] of settings) {
    const config = { compilerOptions: { ...options, target: 'ES2022', lib: ['ES2022'], types: [], strict: true, noEmit: true, skipLibCheck: true }, files: ['consumer.ts'] };
    const configPath = path.join(directory, `tsconfig.${name}.json`);
    fs.writeFileSync(configPath, JSON.stringify(config));
    let output = '';
    try {
      execFileSync(process.execPath, [tscPath, '-p', configPath], { cwd: directory, encoding: 'utf8', timeout: 60_000 });
    } catch (error: unknown) {
      output = String((error as { stdout?: unknown }).stdout ?? error);
    }
    assert.equal(output, '', `moduleResolution ${name}:\n${output}`);
    context.diagnostic(`moduleResolution ${name}: compiles`);
  }
});
