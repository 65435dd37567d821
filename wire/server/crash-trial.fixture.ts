// One crash trial (issue 11): writers put and delete over several connections and record every
// acknowledged write; the server is killed with SIGKILL at a random moment; a new server on the
// same data dir must hold every acknowledged write with its value and generation, and nothing that
// was never written. Used by crash-trials.test.ts (20 trials in npm test) and perf/crash-trials.ts
// (any number, `npm run crash-trials`).
//
// Each key is owned by one lane of one writer, so a key has at most one write in flight and its
// fate after the crash has exactly two possible answers: the last acknowledged state, or the state
// the write in flight would have made (applied but not yet acknowledged, or not applied).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, type Client } from '../client';
import { SeededRandom } from '../../engine/layout/seeded-random';
import { waitRecovered } from './durability.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

export interface CrashTrialOptions {
  writers?: number;
  lanesPerWriter?: number;
  /** Keys in the universe; key i belongs to writer i % writers, lane (i / writers) % lanes. */
  keys?: number;
  /** The kill comes at a random moment in [killAfterMsMin, killAfterMsMax) after the load starts. */
  killAfterMsMin?: number;
  killAfterMsMax?: number;
  fsync?: 'always' | 'everysec' | 'never';
  /** The namespace's ack policy; `memory` answers before the WAL has the write (to show the check can fail). */
  ack?: 'memory' | 'disk';
}

export interface CrashTrialResult {
  seed: number;
  killAfterMs: number;
  acknowledged: number;
  inFlightAtKill: number;
  keysChecked: number;
  /** Empty when the trial passed; otherwise one line per wrong key. */
  violations: string[];
}

interface KeyState {
  present: boolean;
  value: string;
  /** 0 when unknown (a put in flight: its generation was never answered). */
  generation: number;
}

interface KeyFate {
  acknowledged: KeyState | null;
  inFlight: KeyState | null;
}

const namespace = 'content';
const absent: KeyState = { present: false, value: '', generation: 0 };
const decoder = new TextDecoder();

function keyName(index: number): string {
  return `crash/${index.toString().padStart(5, '0')}`;
}

export async function runCrashTrial(seed: number, options: CrashTrialOptions = {}): Promise<CrashTrialResult> {
  const writers = options.writers ?? 4;
  const lanes = options.lanesPerWriter ?? 8;
  const keys = options.keys ?? 400;
  const random = new SeededRandom(seed);
  const killAfterMs = (options.killAfterMsMin ?? 150) + random.below((options.killAfterMsMax ?? 700) - (options.killAfterMsMin ?? 150));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tessera-crash-'));
  const config = testConfig({
    persistence: { dataDir, fsync: options.fsync ?? 'always' },
    namespaces: [{ name: namespace, mode: 'store', maxKeyBytes: 256, maxValueBytes: 64 * 1024, ack: options.ack ?? 'disk' }],
  });
  (config as { engine: { shards: number } }).engine.shards = 2;
  const fates = new Map<string, KeyFate>();
  let acknowledged = 0;
  let stopped = false;
  let server: ServerProcess | null = await spawnServer({ config });
  try {
    // A server listens while it recovers (ops answer Recovering until then).
    await waitRecovered(server.httpUrl);
    const clients = await Promise.all(Array.from({ length: writers }, () => connect(server!.wsUrl, { reconnect: false, requestTimeoutMs: 10_000 })));
    const lane = async (client: Client, writer: number, laneIndex: number, laneRandom: SeededRandom): Promise<void> => {
      const owned: number[] = [];
      for (let index = writer + laneIndex * writers; index < keys; index += writers * lanes) owned.push(index);
      // Bounded: the kill ends every lane; the count bound is a backstop.
      for (let sequence = 0; !stopped && sequence < 100_000 && owned.length > 0; sequence++) {
        const key = keyName(laneRandom.pick(owned));
        const fate = fates.get(key) ?? { acknowledged: null, inFlight: null };
        fates.set(key, fate);
        const remove = laneRandom.next() < 0.2;
        const value = `w${writer}l${laneIndex}s${sequence}:${'x'.repeat(laneRandom.below(2048))}`;
        fate.inFlight = remove ? absent : { present: true, value, generation: 0 };
        try {
          if (remove) {
            await client.delete(namespace, key);
            fate.acknowledged = absent;
          } else {
            const { generation } = await client.put(namespace, key, value);
            fate.acknowledged = { present: true, value, generation };
          }
          fate.inFlight = null;
          acknowledged++;
        } catch {
          return; // the connection died with the server: this write's fate is open
        }
      }
    };
    const load = clients.flatMap((client, writer) => Array.from({ length: lanes }, (_, laneIndex) => lane(client, writer, laneIndex, new SeededRandom(seed * 31 + writer * lanes + laneIndex))));
    await new Promise((resolve) => setTimeout(resolve, killAfterMs));
    server.child.kill('SIGKILL');
    await server.exited;
    stopped = true;
    await Promise.all(load);
    for (const client of clients) client.close();
    const inFlightAtKill = [...fates.values()].filter((fate) => fate.inFlight !== null).length;
    server = await spawnServer({ config });
    await waitRecovered(server.httpUrl);
    const violations = await checkFates(server, fates, keys);
    return { seed, killAfterMs, acknowledged, inFlightAtKill, keysChecked: keys, violations };
  } finally {
    stopped = true;
    if (server !== null) await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function describe(state: KeyState | null): string {
  if (state === null || !state.present) return 'absent';
  return `${state.value.slice(0, 24)}… (generation ${state.generation === 0 ? '?' : state.generation})`;
}

function matches(found: KeyState, expected: KeyState | null): boolean {
  if (expected === null || !expected.present) return !found.present;
  return found.present && found.value === expected.value && (expected.generation === 0 || found.generation === expected.generation);
}

/** Every key of the universe, read back from the restarted server, against its two possible fates. */
async function checkFates(server: ServerProcess, fates: Map<string, KeyFate>, keys: number): Promise<string[]> {
  const client = await connect(server.wsUrl, { reconnect: false });
  const violations: string[] = [];
  try {
    for (let index = 0; index < keys; index++) {
      const key = keyName(index);
      const record = await client.get(namespace, key);
      const found: KeyState = record === null ? absent : { present: true, value: decoder.decode(record.value), generation: record.generation };
      const fate = fates.get(key);
      if (fate === undefined) {
        if (found.present) violations.push(`${key}: never written, found ${describe(found)}`);
        continue;
      }
      if (matches(found, fate.acknowledged) || (fate.inFlight !== null && matches(found, fate.inFlight))) continue;
      violations.push(`${key}: found ${describe(found)}, acknowledged ${describe(fate.acknowledged)}, in flight ${describe(fate.inFlight)}`);
    }
    // Nothing outside the universe may exist either.
    let cursor: string | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const page = await client.scan(namespace, { limit: 1000, values: false, ...(cursor === undefined ? {} : { cursor }) });
      for (const record of page.records) {
        const key = decoder.decode(record.key);
        if (!fates.has(key)) violations.push(`${key}: present after recovery but never written`);
      }
      if (page.cursor === null) break;
      cursor = page.cursor;
    }
  } finally {
    client.close();
  }
  return violations;
}
