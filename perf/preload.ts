// Fills a target's keyspace before a workload runs, outside the measured time: every key gets the
// workload's value (and on Redis for cms, generation 1 in the hash). Redis is flushed first, as
// cdn and cms store the same key names as different types there.

import * as http from 'node:http';
import { preloadWindow } from './bounds';
import { rememberGeneration, type GenerationMemory } from './generation-memory';
import { keyName } from './keys';
import { putIfGenerationLua, putIfGenerationSha, setAndPublishLua, setAndPublishSha } from './redis-scripts';
import type { RunningServer } from './running-server';
import { createRedisClient } from './target-redis';
import type { LoadWorkloadName } from './target-connection';
import { loadTesseraConnect, tesseraUrl } from './tessera-client-loader';

const redisBatchKeys = 1000;

/** For cms, `generations` learns each key's generation (1: the hash is created with g = 1). */
export async function preloadRedis(server: RunningServer, workload: LoadWorkloadName, keys: number, value: Uint8Array, generations: GenerationMemory): Promise<void> {
  const client = createRedisClient(server.host, server.port);
  await client.connect();
  try {
    await client.flushall();
    for (const [lua, sha] of [[putIfGenerationLua, putIfGenerationSha], [setAndPublishLua, setAndPublishSha]] as const) {
      const loaded = await client.script('LOAD', lua);
      if (loaded !== sha) throw new Error(`redis SCRIPT LOAD returned ${String(loaded)}, expected ${sha}`);
    }
    if (workload === 'fanout') return;
    const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    for (let first = 0; first < keys; first += redisBatchKeys) {
      const pipeline = client.pipeline();
      const last = Math.min(keys, first + redisBatchKeys);
      for (let index = first; index < last; index++) {
        if (workload === 'cms') pipeline.hset(keyName(index), 'v', buffer, 'g', 1);
        else pipeline.set(keyName(index), buffer);
      }
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error !== null);
      if (failed !== undefined) throw new Error(`redis preload failed: ${String(failed[0])}`);
      if (workload === 'cms') generations.fill(1, first, last);
    }
  } finally {
    client.disconnect();
  }
}

/** Runs put(index) for every index with at most `window` in flight. */
async function forEachWindowed(count: number, window: number, put: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async (): Promise<void> => {
    // Each runner takes the next index until none are left: count iterations in total.
    while (next < count) {
      const index = next++;
      await put(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, runner));
}

function httpPut(server: RunningServer, urlPath: string, body: Uint8Array, agent: http.Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: server.host, port: server.port, path: urlPath, method: 'PUT', agent, headers: { 'content-length': body.byteLength } }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve();
      else reject(new Error(`PUT ${urlPath}: HTTP ${status}`));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Preloads through the Tessera client when it is built; otherwise over HTTP PUT, which lets the
 * wrk comparison run without the client (generations then stay unknown: 0).
 */
export async function preloadTessera(server: RunningServer, namespace: string, workload: LoadWorkloadName, keys: number, value: Uint8Array, generations: GenerationMemory): Promise<'client' | 'http'> {
  if (workload === 'fanout') return 'client';
  const connect = loadTesseraConnect();
  if (typeof connect !== 'string') {
    const client = await connect(tesseraUrl(server.host, server.port));
    try {
      await forEachWindowed(keys, preloadWindow, async (index) => {
        const written = await client.put(namespace, keyName(index), value);
        rememberGeneration(generations, index, written.generation);
      });
    } finally {
      await client.close();
    }
    return 'client';
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  try {
    await forEachWindowed(keys, 32, (index) => httpPut(server, `/v1/${namespace}/${keyName(index)}`, value, agent));
  } finally {
    agent.destroy();
  }
  return 'http';
}
