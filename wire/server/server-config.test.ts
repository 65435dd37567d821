import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultServerConfig, resolveServerConfig, type ConfigSources } from './server-config';
import { ServerError, serverErrorCodes } from './server-errors';

const files = (contents: Record<string, string>) => (file: string): string => {
  const text = contents[file];
  if (text === undefined) throw new Error(`ENOENT: ${file}`);
  return text;
};

test('the embedded default: 127.0.0.1:7070, one store namespace "content"', () => {
  // With memory to spare: on a machine or container under 2 GiB the namespace's default shrinks
  // (config/config-file.test.ts).
  const config = resolveServerConfig({ flags: {}, env: {}, memory: { bytes: 64 * 1024 ** 3, source: "the machine's memory" } });
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 7070);
  assert.deepEqual(config.engine.namespaces, [{ name: 'content', mode: 'store' }]);
  assert.deepEqual(config, defaultServerConfig());
});

test('file < environment < flags', () => {
  const readFile = files({ 'a.json': JSON.stringify({ host: '10.0.0.1', port: 1000, logLevel: 'warn', limits: { shutdownGraceMs: 5 } }) });
  // Non-loopback hosts without tokens need --insecure (protected mode; access-control.test.ts).
  const fromFile = resolveServerConfig({ flags: { config: 'a.json', insecure: true }, env: {}, readFile });
  assert.deepEqual([fromFile.host, fromFile.port, fromFile.logLevel, fromFile.limits.shutdownGraceMs], ['10.0.0.1', 1000, 'warn', 5]);
  const fromEnv = resolveServerConfig({ flags: { insecure: true }, env: { TESSERA_CONFIG: 'a.json', TESSERA_PORT: '2000', TESSERA_HOST: '0.0.0.0' }, readFile });
  assert.deepEqual([fromEnv.host, fromEnv.port], ['0.0.0.0', 2000]);
  const fromFlags = resolveServerConfig({ flags: { config: 'a.json', port: '3000', logLevel: 'debug', insecure: true }, env: { TESSERA_PORT: '2000' }, readFile });
  assert.deepEqual([fromFlags.port, fromFlags.logLevel, fromFlags.host], [3000, 'debug', '10.0.0.1']);
});

test('the engine section is validated at start-up', () => {
  const readFile = files({ 'bad.json': JSON.stringify({ engine: { namespaces: [{ name: 'bad name!' }] } }) });
  assert.throws(() => resolveServerConfig({ flags: { config: 'bad.json' }, env: {}, readFile }), /namespace name/);
});

test('bad input is a ServerError with a stable code', () => {
  const readFile = files({
    'typo.json': JSON.stringify({ prot: 1 }),
    'limits.json': JSON.stringify({ limits: { frameBytesMax: 1e12 } }),
    'idle.json': JSON.stringify({ limits: { idleTimeoutSec: 3 } }),
    'broken.json': '{',
  });
  const cases: [Omit<ConfigSources, 'readFile'>, string, RegExp][] = [
    [{ flags: { port: '70000' }, env: {} }, serverErrorCodes.ConfigInvalid, /port/],
    [{ flags: { port: 'x' }, env: {} }, serverErrorCodes.ConfigInvalid, /port/],
    [{ flags: { logLevel: 'loud' }, env: {} }, serverErrorCodes.ConfigInvalid, /log level/],
    [{ flags: { config: 'typo.json' }, env: {} }, serverErrorCodes.ConfigInvalid, /unknown field prot/],
    [{ flags: { config: 'limits.json' }, env: {} }, serverErrorCodes.ConfigInvalid, /frameBytesMax/],
    [{ flags: { config: 'idle.json' }, env: {} }, serverErrorCodes.ConfigInvalid, /idleTimeoutSec/],
    [{ flags: { config: 'broken.json' }, env: {} }, serverErrorCodes.ConfigInvalid, /not valid JSON/],
    [{ flags: { config: 'missing.json' }, env: {} }, serverErrorCodes.ConfigUnreadable, /missing\.json/],
  ];
  for (const [sources, code, message] of cases) {
    assert.throws(
      () => resolveServerConfig({ ...sources, readFile }),
      (error: unknown) => error instanceof ServerError && error.code === code && message.test(error.message),
      JSON.stringify(sources),
    );
  }
});
