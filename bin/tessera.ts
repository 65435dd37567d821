#!/usr/bin/env node
// The `tessera` executable (package.json "bin"). Everything lives in wire/server/cli.ts; this file
// only runs it and exits with its code.
import { main } from '../wire/server/cli';

void main(process.argv.slice(2)).then((code) => {
  // serve resolves only after a full shutdown; exiting explicitly stops any native handle (uWS,
  // engine threads) that would otherwise keep an already-stopped process alive.
  process.exit(code);
});
