// A tag subscription resumed across a restart: the changes before it are read back from the WAL
// (segment format 3), where a delete keeps the tags its record had, so the resumed subscription
// gets exactly what a live one got: the tagged puts and the removal of a tagged record.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../../client';
import { dataDirMaker, persistentConfig, waitRecovered } from '../durability.fixture';
import { spawnServer } from '../server-process.fixture';
import { takeEvents } from '../namespace-routes.fixture';

const newDataDir = dataDirMaker();
const text = (bytes: Uint8Array | null): string => Buffer.from(bytes ?? new Uint8Array(0)).toString();

test('a tag subscription resumed from the WAL after a restart sees tagged puts and removals', async () => {
  const config = persistentConfig(newDataDir());
  let server = await spawnServer({ config });
  let startLsn: number;
  try {
    await waitRecovered(server.httpUrl);
    const client = await connect(server.wsUrl, { reconnect: false });
    try {
      const probe = client.subscribe({ ns: 'content', key: 'probe' });
      startLsn = await probe.ready;
      await probe.close();
      await client.put('content', 'r/1', 'one', { tags: ['keep', 'x'] });
      await client.put('content', 'r/2', 'two', { tags: ['x'] });
      await client.put('content', 'r/3', 'three', { tags: ['keep'] });
      assert.equal(await client.delete('content', 'r/1'), true);
      assert.equal(await client.delete('content', 'r/2'), true);
    } finally {
      await client.close();
    }
  } finally {
    await server.stop();
  }
  server = await spawnServer({ config });
  try {
    await waitRecovered(server.httpUrl);
    const client = await connect(server.wsUrl, { reconnect: false });
    try {
      const keep = client.subscribe({ ns: 'content', tag: 'keep', fromLsn: startLsn });
      const events = await takeEvents(keep, 3);
      assert.deepEqual(
        events.map((event) => (event.kind === 'gap' ? ['gap'] : [event.kind, text(event.key), (event.tags ?? []).join(' ')])),
        [
          ['put', 'r/1', 'keep x'],
          ['put', 'r/3', 'keep'],
          ['delete', 'r/1', 'keep x'],
        ],
      );
      // Live after the replay: a delete of a tagged record now comes from the recovered tag index.
      assert.equal(await client.delete('content', 'r/3'), true);
      const step = await keep.next();
      assert.ok(step.done !== true && step.value.kind === 'delete');
      assert.equal(text(step.value.key), 'r/3');
      assert.deepEqual(step.value.tags, ['keep']);
      assert.equal(keep.queued, 0);
    } finally {
      await client.close();
    }
  } finally {
    await server.stop();
  }
});
