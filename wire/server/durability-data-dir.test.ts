// One server per data dir, and backup and restore, through real processes: a second `tessera
// serve` on a held data dir exits 1 with one plain line naming the dir and the holder's PID; a
// `tessera snapshot` plus `cp -r` of the data dir while the server runs is a backup, and a server
// started on the copy (while the first still runs, its copied LOCK naming that live server) has
// the data.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { dataDirMaker, persistentConfig, putText, readStatus, runCli, waitRecovered, type PersistenceDocument } from './durability.fixture';
import { spawnServer } from './server-process.fixture';

const newDataDir = dataDirMaker();

test('a second tessera serve on a held data dir exits 1 with one plain line naming the dir and the holder PID', async () => {
  const dataDir = newDataDir();
  const server = await spawnServer({ config: persistentConfig(dataDir) });
  try {
    await waitRecovered(server.httpUrl);
    // A working dir of its own (removed after the file), so nothing lands in the test's cwd.
    const cwd = path.dirname(newDataDir());
    const second = runCli(['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], {}, cwd);
    assert.equal(second.status, 1, second.stdout + second.stderr);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line, got:\n${second.stderr}`);
    assert.equal(lines[0], `tessera: data dir ${dataDir} is in use by process ${server.child.pid} (lock file ${path.join(dataDir, 'LOCK')}): one server per data dir`);
    assert.doesNotMatch(second.stdout + second.stderr, /\bat \S+ \(|stack/, 'no stack trace');
    // The first server is untouched.
    assert.equal((await putText(server.httpUrl, 'still/serving', 'yes')).status, 201);
  } finally {
    await server.stop();
  }
  assert.equal(existsSync(path.join(dataDir, 'LOCK')), false, 'a clean stop releases the lock');
});

test('backup and restore: tessera snapshot, cp -r of the live data dir, a server on the copy has the data', async () => {
  const dataDir = newDataDir();
  const original = await spawnServer({ config: persistentConfig(dataDir) });
  const backup = newDataDir();
  let expected: Map<string, string>;
  try {
    await waitRecovered(original.httpUrl);
    expected = new Map();
    for (let index = 0; index < 30; index++) {
      assert.equal((await putText(original.httpUrl, `backup/${index}`, `v${index}`)).status, 201);
      expected.set(`backup/${index}`, `v${index}`);
    }
    const snapshot = runCli(['snapshot', '--url', original.httpUrl]);
    assert.equal(snapshot.status, 0, snapshot.stderr);
    // Writes after the snapshot are in the WAL only: the copy must have them too.
    for (let index = 0; index < 5; index++) {
      await putText(original.httpUrl, `backup/${index}`, `after-${index}`);
      expected.set(`backup/${index}`, `after-${index}`);
    }
    const copy = spawnSync('cp', ['-r', dataDir, backup], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(copy.status, 0, copy.stderr);
    assert.equal(readFileSync(path.join(backup, 'LOCK'), 'utf8').split('\n')[0], String(original.child.pid), 'the copy carries the live LOCK');
    const originalHistory = ((await readStatus(original.httpUrl)).persistence as PersistenceDocument).historyId;
    // Restore while the original still runs: the copied LOCK names a live process of another dir.
    const restored = await spawnServer({ config: persistentConfig(backup) });
    try {
      const status = await waitRecovered(restored.httpUrl);
      const persistence = status.persistence as PersistenceDocument;
      assert.equal(persistence.dataDir, backup);
      assert.equal(persistence.historyId, originalHistory, 'a restore continues the same history');
      assert.ok(persistence.recovery !== null && persistence.recovery.snapshotRecords >= 30, 'recovered from the snapshot');
      assert.ok(persistence.recovery.walRecords >= 5, 'and the WAL after it');
      for (const [key, value] of expected) {
        const response = await fetch(`${restored.httpUrl}/v1/content/${key}`);
        assert.equal(response.status, 200, key);
        assert.equal(await response.text(), value, key);
      }
      // The two nodes are independent from here on.
      assert.equal((await putText(restored.httpUrl, 'only/restored', 'r')).status, 201);
      assert.equal((await fetch(`${original.httpUrl}/v1/content/only/restored`)).status, 404);
    } finally {
      await restored.stop();
    }
  } finally {
    await original.stop();
  }
});
