// /metrics has one metric per figure, named as Prometheus asks (a unit suffix, _total on
// counters), each collected at scrape time: evictions, expirations and OutOfMemory refusals per
// namespace, records / bytes / limit per namespace, shards, last LSN, shard restarts,
// subscriptions. A real server process.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type Client } from '../client';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const mebibyte = 1024 * 1024;
let server: ServerProcess;

before(async () => {
  server = await spawnServer({
    config: testConfig({
      namespaces: [
        { name: 'content', mode: 'store', memoryLimitBytes: 2 * mebibyte, maxValueBytes: 64 * 1024 },
        { name: 'pages', mode: 'cache', memoryLimitBytes: '2MiB', maxValueBytes: 64 * 1024 },
      ],
    }),
  });
});

after(async () => {
  await server?.stop();
});

async function scrape(): Promise<{ text: string; samples: Map<string, number> }> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return { text, samples };
}

function sample(samples: Map<string, number>, name: string): number {
  const value = samples.get(name);
  assert.ok(value !== undefined, `no sample ${name}`);
  return value;
}

test('engine, namespace and subscription figures, one metric each', async () => {
  const value = new Uint8Array(8000).fill(7);
  let client: Client | null = null;
  try {
    client = await connect(server.wsUrl, { reconnect: false });
    // A bounded fill: 2 MiB over 8 kB values refuses well before 600 puts in the store namespace
    // and evicts in the cache one.
    let refused = 0;
    for (let i = 0; i < 600; i++) {
      const settled: PromiseSettledResult<unknown>[] = await Promise.allSettled([client.put('content', `fill/${i}`, value), client.put('pages', `fill/${i}`, value)]);
      const [stored, cached] = settled;
      if (stored?.status === 'rejected') refused++;
      assert.equal(cached?.status, 'fulfilled', `cache put ${i}`);
    }
    assert.ok(refused > 0, 'the store namespace filled up');
    const { text, samples } = await scrape();
    assert.equal(sample(samples, 'tessera_shards'), 1);
    assert.ok(sample(samples, 'tessera_last_lsn') >= 600);
    assert.equal(sample(samples, 'tessera_shard_restarts_total'), 0);
    assert.ok(sample(samples, 'tessera_table_bytes') > 0);
    assert.equal(sample(samples, 'tessera_namespace_limit_bytes{namespace="content"}'), 2 * mebibyte);
    assert.equal(sample(samples, 'tessera_namespace_limit_bytes{namespace="pages"}'), 2 * mebibyte, '"2MiB" in the config');
    assert.ok(sample(samples, 'tessera_namespace_records{namespace="content"}') > 0);
    assert.ok(sample(samples, 'tessera_namespace_bytes{namespace="content"}') <= 2 * mebibyte);
    assert.ok(sample(samples, 'tessera_evictions_total{namespace="pages"}') > 0);
    assert.equal(sample(samples, 'tessera_evictions_total{namespace="content"}'), 0);
    assert.equal(sample(samples, 'tessera_expirations_total{namespace="pages"}'), 0);
    assert.equal(sample(samples, 'tessera_out_of_memory_refusals_total'), refused);
    assert.ok(sample(samples, 'tessera_subscription_gaps_total') >= 0);
    assert.ok(sample(samples, 'tessera_subscriber_catch_ups_total') >= 0);
    assert.equal(sample(samples, 'tessera_subscribers_catching_up'), 0);
    assert.ok(sample(samples, 'tessera_buffered_output_bytes') >= 0);
    assert.match(text, /^# TYPE tessera_evictions_total counter$/m);
    assert.match(text, /^# TYPE tessera_namespace_limit_bytes gauge$/m);
    assert.doesNotMatch(text, /figure=/, 'no metric mixes figures under a label');
    assert.doesNotMatch(text, /^tessera_engine/m);
  } finally {
    await client?.close();
  }
});

test('subscriptions are counted while they live', async () => {
  const client = await connect(server.wsUrl, { reconnect: false });
  try {
    const feed = client.subscribe({ ns: 'content', prefix: 'live/' });
    const iterator = feed[Symbol.asyncIterator]();
    // The subscription is registered once the server acknowledged it: a write shows it working.
    const next = iterator.next();
    await client.delete('content', 'fill/0');
    await client.put('content', 'live/x', 'v');
    await next;
    const { samples } = await scrape();
    assert.equal(sample(samples, 'tessera_subscriptions'), 1);
    assert.equal(sample(samples, 'tessera_subscriber_connections'), 1);
    assert.ok(sample(samples, 'tessera_events_published_total') >= 1);
    await iterator.return?.();
  } finally {
    await client.close();
  }
});
