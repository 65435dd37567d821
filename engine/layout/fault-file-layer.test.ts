// The fault-injecting file layer is test-only: no shipped module may import it. And its crash model
// does what the durability tests rely on.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { FaultFileLayer } from './fault-file-layer';

function javascriptFiles(directory: string, found: string[], depth = 0): string[] {
  if (depth > 12 || !fs.existsSync(directory)) return found;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) javascriptFiles(full, found, depth + 1);
    else if (entry.name.endsWith('.js')) found.push(full);
  }
  return found;
}

test('no shipped module imports the fault-injecting file layer', () => {
  const distRoot = path.join(__dirname, '..', '..');
  const files = ['engine', 'wire', 'bin', 'perf'].flatMap((room) => javascriptFiles(path.join(distRoot, room), []));
  assert.ok(files.length > 10, 'found the compiled sources');
  const offenders = files.filter((file) => {
    const name = path.basename(file);
    if (name.endsWith('.test.js') || name.endsWith('.fixture.js') || name === 'fault-file-layer.js') return false;
    return /require\([^)]*fault-file-layer/.test(fs.readFileSync(file, 'utf8'));
  });
  assert.deepEqual(offenders, []);
});

test('crash keeps fsynced bytes and fsynced directory entries only', () => {
  const layer = new FaultFileLayer();
  layer.mkdirs('/d');
  const kept = layer.create('/d/kept');
  layer.write(kept, new Uint8Array([1, 2, 3]), 0, 3, 0);
  layer.fsync(kept);
  layer.fsyncDirectory('/d');
  layer.write(kept, new Uint8Array([4, 5]), 0, 2, 3);
  const lost = layer.create('/d/lost');
  layer.write(lost, new Uint8Array([9]), 0, 1, 0);
  layer.fsync(lost); // its bytes are synced but its directory entry is not
  layer.crash();
  assert.deepEqual(layer.list('/d'), ['kept']);
  const fd = layer.openRead('/d/kept');
  assert.equal(layer.size(fd), 3);
  const bytes = new Uint8Array(8);
  assert.equal(layer.read(fd, bytes, 0, 8, 0), 3);
  assert.deepEqual(bytes.subarray(0, 3), new Uint8Array([1, 2, 3]));
  layer.failNextFsyncs(1);
  assert.throws(() => layer.fsync(fd), /EIO/);
  layer.failWritesAfter(1);
  assert.equal(layer.write(fd, new Uint8Array([7, 7]), 0, 2, 0), 1, 'a short write first');
  assert.throws(() => layer.write(fd, new Uint8Array([7]), 0, 1, 1), /ENOSPC/);
});
