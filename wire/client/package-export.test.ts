// package.json "exports" maps "tessera/client" to the built client, so code anywhere in the repo
// (and users of the package) import it by name: this proves the mapping resolves to the same module.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as local from './index';

test("'tessera/client' resolves through package.json exports to this client", async () => {
  // A runtime require: tsc's node10 resolution does not read "exports", Node's does.
  const byName = require('tessera/client') as typeof local;
  assert.equal(byName.connect, local.connect);
  assert.equal(byName.TesseraError, local.TesseraError);
  const resolved = require.resolve('tessera/client');
  assert.match(resolved, /dist[\\/]wire[\\/]client[\\/]index\.js$/);
});
