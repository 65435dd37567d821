// Loads the uWebSockets.js native binary, and only that. The package's own loader (src/uws.js)
// silently falls back to a pure-JS implementation when the binary fails to load; the server would
// then run several times slower while looking healthy. So the binary is located and required here,
// and a failure stops start-up with the file and the reason.

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type * as Uws from 'uWebSockets.js';
import { ServerError, reasonOf } from './server-errors';

/**
 * What the native module has beyond its published typings: listen(host, port, options, cb) with
 * this option, and App.close() (see server.ts). Checked when the module loads.
 */
export interface UwsNativeExtras {
  LIBUS_LISTEN_EXCLUSIVE_PORT: number;
}

export type UwsModule = typeof Uws & UwsNativeExtras;

export interface UwsBinaryTarget {
  /** The folder holding the package's package.json. */
  packageDir: string;
  platform: string;
  arch: string;
  /** The Node ABI version (process.versions.modules). */
  modules: string;
}

export function currentUwsTarget(): UwsBinaryTarget {
  return {
    packageDir: path.dirname(require.resolve('uWebSockets.js/package.json')),
    platform: process.platform,
    arch: process.arch,
    modules: process.versions.modules,
  };
}

export function uwsBinaryPath(target: UwsBinaryTarget): string {
  const fileName = `uws_${target.platform}_${target.arch}_${target.modules}.node`;
  return path.join(target.packageDir, 'binaries', fileName);
}

function availableBinaries(packageDir: string): string {
  try {
    const names = readdirSync(path.join(packageDir, 'binaries')).filter((name) => name.endsWith('.node'));
    return names.length === 0 ? 'none' : names.join(', ');
  } catch {
    return 'none (no binaries folder)';
  }
}

function isUwsModule(loaded: unknown): loaded is UwsModule {
  if (typeof loaded !== 'object' || loaded === null) return false;
  const candidate = loaded as Partial<Record<keyof UwsModule, unknown>>;
  return (
    typeof candidate.App === 'function' &&
    typeof candidate.us_listen_socket_close === 'function' &&
    typeof candidate.us_socket_local_port === 'function' &&
    typeof candidate.LIBUS_LISTEN_EXCLUSIVE_PORT === 'number'
  );
}

/**
 * uWS writes `uWebSockets: 20` into every HTTP response unless its loop is "silent"; the binary is
 * built without UWS_HTTPRESPONSE_NO_WRITEMARK, and the undocumented `_cfg('silent')` of uWS.js sets
 * that flag at run time (measured: the header is gone, `Date` stays). Advertising the server and
 * its major version helps no one but a scanner.
 */
function silence(uws: UwsModule): void {
  const configure = (uws as UwsModule & { _cfg?: (key: string) => void })._cfg;
  if (typeof configure === 'function') configure('silent');
}

export function loadUws(target: UwsBinaryTarget = currentUwsTarget()): UwsModule {
  const file = uwsBinaryPath(target);
  if (!existsSync(file)) {
    const message =
      `cannot load uWebSockets.js: ${file} does not exist (no native build for ` +
      `${target.platform}-${target.arch}, Node ABI ${target.modules}; available: ${availableBinaries(target.packageDir)}). ` +
      'Tessera refuses the slow pure-JS fallback.';
    throw new ServerError('UwsLoadFailed', message);
  }
  let loaded: unknown;
  try {
    loaded = require(file) as unknown;
  } catch (error: unknown) {
    throw new ServerError('UwsLoadFailed', `cannot load uWebSockets.js from ${file}: ${reasonOf(error)}`, { cause: error });
  }
  if (!isUwsModule(loaded)) {
    throw new ServerError('UwsLoadFailed', `cannot load uWebSockets.js from ${file}: it lacks App, us_socket_local_port or LIBUS_LISTEN_EXCLUSIVE_PORT`);
  }
  silence(loaded);
  return loaded;
}
