// Surrogate keys survive a restart: a persisting node restarted on its data dir rebuilds each
// shard's tag index from its newest snapshot and the WAL, so a purge by tag after the restart deletes exactly the records
// that carried the tag before it (overwrites and deletes before the restart included).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '../client';
import { dataDirMaker, persistentConfig, waitRecovered } from './durability.fixture';
import { spawnServer } from './server-process.fixture';

const newDataDir = dataDirMaker();

for (const snapshotFirst of [false, true]) test(`tags written before a restart are there after it (${snapshotFirst ? 'snapshot, then WAL' : 'WAL replay'})`, async () => {
  const config = persistentConfig(newDataDir());
  let server = await spawnServer({ config });
  try {
    await waitRecovered(server.httpUrl);
    const client = await connect(server.wsUrl, { reconnect: false });
    try {
      for (let index = 0; index < 30; index++) await client.put('content', `t/${index}`, 'v', { tags: index % 2 === 0 ? ['even', 'all'] : ['all'] });
      // Before the restart: t/0 loses its tags, t/2 is deleted, t/4 is re-tagged odd.
      await client.put('content', 't/0', 'v');
      await client.delete('content', 't/2');
      await client.put('content', 't/4', 'v', { tags: ['odd-now'] });
      // With a snapshot here, what came before is recovered from it and the rest from the WAL.
      if (snapshotFirst) assert.equal((await fetch(`${server.httpUrl}/v1/admin/snapshot`, { method: 'POST' })).status, 200);
      const response = await fetch(`${server.httpUrl}/v1/content/http-tagged`, { method: 'PUT', body: 'v', headers: { 'Surrogate-Key': 'even' } });
      assert.equal(response.status, 201);
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
      // even: t/6, t/8, ..., t/28 (12 records) and http-tagged.
      assert.deepEqual(await client.purge({ ns: 'content', tags: ['even'] }), { deleted: 13 });
      assert.notEqual(await client.get('content', 't/0'), null, 'an overwrite without tags dropped them before the restart');
      assert.deepEqual(await client.purge({ ns: 'content', tags: ['odd-now'] }), { deleted: 1 });
      // all: the 15 odd ones are left carrying it.
      assert.deepEqual(await client.purge({ ns: 'content', tags: ['all'] }), { deleted: 15 });
      assert.notEqual(await client.get('content', 't/0'), null);
    } finally {
      await client.close();
    }
  } finally {
    await server.stop();
  }
});
