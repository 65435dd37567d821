import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { currentUwsTarget, loadUws, uwsBinaryPath } from './load-uws';
import { ServerError, serverErrorCodes } from './server-errors';

test('loads the native binary for this platform and Node ABI', () => {
  const uws = loadUws();
  assert.equal(typeof uws.App, 'function');
  // The pure-JS fallback has no native listen-socket helpers with this shape: App() returns an
  // object whose listen is a native function.
  assert.match(uwsBinaryPath(currentUwsTarget()), /binaries[\\/]uws_\w+_\w+_\d+\.node$/);
});

test('refuses to start when the binary for the ABI does not exist, naming the file', () => {
  const target = { ...currentUwsTarget(), modules: '999' };
  assert.throws(
    () => loadUws(target),
    (error: unknown) => {
      assert.ok(error instanceof ServerError);
      assert.equal(error.code, serverErrorCodes.UwsLoadFailed);
      assert.ok(error.message.includes(uwsBinaryPath(target)), error.message);
      assert.match(error.message, /does not exist/);
      assert.match(error.message, /fallback/);
      return true;
    },
  );
});

test('refuses to start when the binary is corrupt, naming the file and the reason', () => {
  const packageDir = mkdtempSync(path.join(tmpdir(), 'tessera-uws-'));
  try {
    mkdirSync(path.join(packageDir, 'binaries'));
    const target = { ...currentUwsTarget(), packageDir };
    writeFileSync(uwsBinaryPath(target), 'not a shared object');
    assert.throws(
      () => loadUws(target),
      (error: unknown) => {
        assert.ok(error instanceof ServerError);
        assert.equal(error.code, serverErrorCodes.UwsLoadFailed);
        assert.ok(error.message.includes(uwsBinaryPath(target)), error.message);
        assert.match(error.message, /header|invalid|too short/i);
        return true;
      },
    );
  } finally {
    rmSync(packageDir, { recursive: true, force: true });
  }
});
