// A data dir copied with `cp -r` while its server runs (a backup) carries that server's LOCK: it
// names a live PID, but of another dir. Opening the copy must take that lock over, while the
// original stays locked; a lock of the first format (a PID only) is still judged by its PID.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DataDir, DataDirLockedError, lockFileName } from './data-dir';
import { tempDirMaker } from '../layout/temp-dirs.fixture';

const newTempDir = tempDirMaker('tessera-datadir-copy-');

/** Opens the data dir in a child process: 'opened', or the error message with exit code 3. */
function openInChild(directory: string): { status: number | null; output: string } {
  const script = `
    const { DataDir } = require(${JSON.stringify(path.join(__dirname, 'data-dir.js'))});
    try { DataDir.open(${JSON.stringify(directory)}).close(); console.log('opened'); }
    catch (error) { console.log(error.message); process.exit(3); }`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  return { status: child.status, output: child.stdout + child.stderr };
}

test('a copy of a held data dir opens (its copied LOCK names another dir); the original stays held', () => {
  const original = path.join(newTempDir(), 'data');
  const copy = path.join(newTempDir(), 'data');
  const held = DataDir.open(original);
  try {
    fs.cpSync(original, copy, { recursive: true });
    assert.equal(fs.readFileSync(path.join(copy, lockFileName), 'utf8').split('\n')[0], String(process.pid), 'the copy carries the live lock');
    const child = openInChild(copy);
    assert.equal(child.status, 0, child.output);
    assert.match(child.output, /opened/);
    assert.equal(openInChild(original).status, 3, 'the original is still held');
    // In this process too: the copy's lock names this PID but not this dir.
    const copied = path.join(newTempDir(), 'data');
    fs.cpSync(original, copied, { recursive: true });
    const reopened = DataDir.open(copied);
    assert.deepEqual(reopened.historyId, held.historyId, 'the copy keeps the history id');
    reopened.close();
    assert.equal(fs.existsSync(path.join(copied, lockFileName)), false);
    assert.throws(() => DataDir.open(original), DataDirLockedError);
  } finally {
    held.close();
  }
});

test('a lock of the first format (PID only) naming a live process still refuses', () => {
  const directory = path.join(newTempDir(), 'data');
  DataDir.open(directory).close();
  fs.writeFileSync(path.join(directory, lockFileName), `${process.pid}\n`);
  assert.throws(() => DataDir.open(directory), DataDirLockedError);
  const child = openInChild(directory);
  assert.equal(child.status, 3, child.output);
  assert.match(child.output, new RegExp(`is in use by process ${process.pid}`));
});

test('the same dir reached through a symlink is the same dir: still refused', () => {
  const directory = path.join(newTempDir(), 'data');
  const held = DataDir.open(directory);
  try {
    const link = path.join(newTempDir(), 'link');
    fs.symlinkSync(directory, link);
    const child = openInChild(link);
    assert.equal(child.status, 3, child.output);
    assert.match(child.output, /is in use by process/);
  } finally {
    held.close();
  }
});
