// A persisting node restarted on its data dir (real processes, fsync always): what was written over
// HTTP and over WebSocket is there after the restart with the same generations, LSNs continue, and
// a subscriber that resumes with fromLsn after the restart gets exactly the changes after it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect, type ChangeEvent } from '../client';
import { dataDirMaker, metricSample, persistentConfig, putText, readMetrics, readStatus, waitRecovered } from './durability.fixture';
import { spawnServer } from './server-process.fixture';
import { takeEvents } from './namespace-routes.fixture';

const newDataDir = dataDirMaker();
const decoder = new TextDecoder();

test('a restart keeps what HTTP and WebSocket wrote, with the same generations; LSNs continue', async () => {
  const config = persistentConfig(newDataDir());
  let server = await spawnServer({ config });
  const written = new Map<string, { value: string; generation: number; etag?: string }>();
  let lastLsn: number;
  try {
    await waitRecovered(server.httpUrl);
    for (let index = 0; index < 20; index++) {
      const response = await putText(server.httpUrl, `http/${index}`, `h${index}`);
      assert.equal(response.status, 201);
      written.set(`http/${index}`, { value: `h${index}`, generation: Number(response.headers.get('tessera-generation')), etag: response.headers.get('etag') ?? '' });
    }
    const client = await connect(server.wsUrl, { reconnect: false });
    try {
      for (let index = 0; index < 20; index++) {
        const { generation } = await client.put('content', `ws/${index}`, `w${index}`);
        written.set(`ws/${index}`, { value: `w${index}`, generation });
      }
      // A replace and a delete must come back as they were left, not as first written.
      const { generation } = await client.put('content', 'ws/0', 'w0-again');
      written.set('ws/0', { value: 'w0-again', generation });
      assert.equal(await client.delete('content', 'ws/1'), true);
      written.delete('ws/1');
    } finally {
      await client.close();
    }
    lastLsn = (await readStatus(server.httpUrl)).lastLsn;
    assert.ok(lastLsn >= 42);
  } finally {
    assert.equal(await server.stop(), 0);
  }
  server = await spawnServer({ config });
  try {
    const status = await waitRecovered(server.httpUrl);
    assert.equal(status.lastLsn, lastLsn, 'LSNs continue after the last one written');
    assert.ok(status.persistence !== false && status.persistence.recovery !== null);
    assert.equal(status.persistence.recovery.walRecords, lastLsn);
    for (const [key, { value, generation, etag }] of written) {
      const response = await fetch(`${server.httpUrl}/v1/content/${key}`);
      assert.equal(response.status, 200, key);
      assert.equal(await response.text(), value, key);
      assert.equal(response.headers.get('tessera-generation'), String(generation), key);
      // The ETag is built from lastModified, which the WAL carries: the same version, the same tag.
      if (etag !== undefined) assert.equal(response.headers.get('etag'), etag, key);
    }
    assert.equal((await fetch(`${server.httpUrl}/v1/content/ws/1`)).status, 404, 'a deleted key stays deleted');
    const client = await connect(server.wsUrl, { reconnect: false });
    try {
      const record = await client.get('content', 'ws/5');
      assert.equal(record?.generation, written.get('ws/5')?.generation);
      assert.equal(decoder.decode(record?.value), 'w5');
      const { generation } = await client.put('content', 'after/restart', 'x');
      assert.ok(generation > 0);
      assert.equal((await readStatus(server.httpUrl)).lastLsn, lastLsn + 1);
    } finally {
      await client.close();
    }
  } finally {
    await server.stop();
  }
});

test('a subscriber resumes with fromLsn across a restart: no gap, no duplicate', async (t) => {
  const config = persistentConfig(newDataDir());
  let server = await spawnServer({ config });
  let position: number;
  const seen: number[] = [];
  try {
    await waitRecovered(server.httpUrl);
    const client = await connect(server.wsUrl, { reconnect: false });
    try {
      const subscription = client.subscribe({ ns: 'content', prefix: 'feed/' });
      await subscription.ready;
      for (let index = 0; index < 30; index++) {
        await client.put('content', `feed/${index % 5}`, `before-${index}`);
        await client.put('content', `other/${index}`, 'not in the feed');
      }
      const events = (await takeEvents(subscription, 30)) as ChangeEvent[];
      seen.push(...events.map((event) => event.lsn));
      // The subscriber stops reading after 20 events: the last 10 are what it must be given again.
      position = seen[19] as number;
      seen.length = 20;
    } finally {
      await client.close();
    }
  } finally {
    assert.equal(await server.stop(), 0);
  }
  server = await spawnServer({ config });
  try {
    // Subscribe at once: the node may still be recovering (the client then asks again).
    const client = await connect(server.wsUrl, { reconnect: false });
    const writer = await connect(server.wsUrl, { reconnect: false });
    try {
      const subscription = client.subscribe({ ns: 'content', prefix: 'feed/', fromLsn: position });
      await subscription.ready;
      for (let index = 0; index < 10; index++) await writer.put('content', `feed/${index % 5}`, `after-${index}`);
      const events = await takeEvents(subscription, 20);
      for (const event of events) {
        assert.notEqual(event.kind, 'gap', 'the changes after the position are all held');
        seen.push(event.lsn);
      }
      // Whether the subscribe met the node still recovering (answered Recovering, asked again) is a race.
      const retried = metricSample(await readMetrics(server.httpUrl), 'tessera_ops_total{transport="ws",op="subscribe",status="Recovering"}') ?? 0;
      t.diagnostic(`subscribe answered Recovering ${retried} times before it joined`);
      const values = (events as ChangeEvent[]).map((event) => decoder.decode(event.value ?? new Uint8Array(0)));
      assert.deepEqual(values, [...Array.from({ length: 10 }, (_, index) => `before-${20 + index}`), ...Array.from({ length: 10 }, (_, index) => `after-${index}`)]);
    } finally {
      await writer.close();
      await client.close();
    }
    assert.equal(new Set(seen).size, seen.length, 'no LSN delivered twice');
    for (let index = 1; index < seen.length; index++) assert.ok((seen[index] as number) > (seen[index - 1] as number), 'LSN order');
    assert.equal(seen.length, 40);
  } finally {
    await server.stop();
  }
});
