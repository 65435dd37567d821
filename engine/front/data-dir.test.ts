// One server per data dir (a second open in another process fails naming the dir and the holder's
// PID; a dead holder's lock is taken over), and the history id minted once and kept.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DataDir, DataDirLockedError, historyFileName, lockFileName } from './data-dir';
import { tempDirMaker } from '../layout/temp-dirs.fixture';

const newTempDir = tempDirMaker('tessera-datadir-');

function tempDir(): string {
  const directory = newTempDir();
  return path.join(directory, 'data');
}

/** Opens the data dir in a child process; returns its exit code and output. */
function openInChild(directory: string): { status: number | null; output: string } {
  const script = `
    const { DataDir } = require(${JSON.stringify(path.join(__dirname, 'data-dir.js'))});
    try { DataDir.open(${JSON.stringify(directory)}).close(); console.log('opened'); }
    catch (error) { console.log(error.message); process.exit(3); }`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
  return { status: child.status, output: child.stdout + child.stderr };
}

test('a new data dir gets a lock, a history id, wal/ and snapshots/', () => {
  const directory = tempDir();
  const dataDir = DataDir.open(directory);
  assert.equal(dataDir.created, true);
  assert.equal(dataDir.historyId.length, 16);
  assert.ok(dataDir.historyId.some((byte) => byte !== 0));
  assert.equal(fs.readFileSync(path.join(directory, lockFileName), 'utf8').split('\n')[0], String(process.pid));
  assert.ok(fs.statSync(dataDir.walDirectory).isDirectory() && fs.statSync(dataDir.snapshotDirectory).isDirectory());
  assert.deepEqual(fs.readdirSync(directory).filter((name) => name.includes('.tmp')), [], 'no temp file left');
  dataDir.close();
  assert.equal(fs.existsSync(path.join(directory, lockFileName)), false);
});

test('a second server on the same data dir refuses to start, naming the dir and the holder PID', () => {
  const directory = tempDir();
  const dataDir = DataDir.open(directory);
  const child = openInChild(directory);
  assert.equal(child.status, 3, child.output);
  assert.match(child.output, new RegExp(`data dir ${path.resolve(directory)} is in use by process ${process.pid}`));
  assert.throws(() => DataDir.open(directory), DataDirLockedError, 'a second open in the same process fails too');
  dataDir.close();
  assert.match(openInChild(directory).output, /opened/, 'free again after close');
});

test('a lock left by a dead process is taken over', () => {
  const directory = tempDir();
  DataDir.open(directory).close();
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout.trim());
  assert.ok(deadPid > 0);
  fs.writeFileSync(path.join(directory, lockFileName), `${deadPid}\n`);
  const dataDir = DataDir.open(directory);
  assert.equal(fs.readFileSync(path.join(directory, lockFileName), 'utf8').split('\n')[0], String(process.pid));
  dataDir.close();
  fs.writeFileSync(path.join(directory, lockFileName), ''); // torn by a crash before the PID was written
  DataDir.open(directory).close();
});

test('the history id is kept across opens and replaced atomically', () => {
  const directory = tempDir();
  const first = DataDir.open(directory);
  const historyId = first.historyId;
  first.close();
  const second = DataDir.open(directory);
  assert.equal(second.created, false);
  assert.deepEqual(second.historyId, historyId);
  const promoted = new Uint8Array(16).fill(0xaa);
  second.replaceHistory({ historyId: promoted, previousHistoryId: historyId, switchLsn: 1234 });
  second.close();
  const third = DataDir.open(directory);
  assert.deepEqual(third.history, { historyId: promoted, previousHistoryId: historyId, switchLsn: 1234 });
  third.close();
  fs.writeFileSync(path.join(directory, historyFileName), '{"format":1,"historyId":"zz"}');
  assert.throws(() => DataDir.open(directory), /HISTORY is damaged/);
  assert.equal(fs.existsSync(path.join(directory, lockFileName)), false, 'a failed open releases the lock');
});

test('WAL segments without a HISTORY file are refused, not given a new history', () => {
  const directory = tempDir();
  DataDir.open(directory).close();
  fs.unlinkSync(path.join(directory, historyFileName));
  fs.writeFileSync(path.join(directory, 'wal', '0000000000000000.wal'), 'x');
  assert.throws(() => DataDir.open(directory), /no HISTORY file/);
});
