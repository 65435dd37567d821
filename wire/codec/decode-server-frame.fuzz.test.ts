// decodeServerFrame must never throw either: a client must survive whatever a server sends.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { decodeServerFrame } from './decode-server-frame';
import { encodeEvent, encodeEvents } from './encode-event';
import { encodeRequestFailure, encodeResponse } from './encode-response';
import { mutateFrame } from './mutate.fixture';
import { randomChange, randomOpResult, randomScanPage, randomStatusResult } from './ops.fixture';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';
import type { ResultInput } from './wire-types';
import type { Change } from '../../engine/layout/types';
import { Status } from '../../engine/layout/status';

function randomServerFrame(random: SeededRandom): Uint8Array {
  switch (random.below(4)) {
    case 0:
      return encodeEvent(random.below(100), randomChange(random));
    case 3: {
      const changes = Array.from({ length: 2 + random.below(4) }, () => randomChange(random)).filter((change): change is Change => !('gap' in change));
      if (changes.length === 0) return encodeEvent(random.below(100), randomChange(random));
      return encodeEvents(random.below(100), changes, changes.map(() => random.next() < 0.5), changes.length);
    }
    case 1:
      return encodeRequestFailure(random.next() < 0.5 ? null : random.below(100), Status.MalformedRequest, 'broken');
    default: {
      const results: ResultInput[] = [];
      const count = random.below(5);
      for (let index = 0; index < count; index++) {
        const kind = random.below(3);
        results.push(kind === 0 ? randomOpResult(random) : kind === 1 ? randomScanPage(random) : randomStatusResult(random));
      }
      return encodeResponse(random.below(1000), results);
    }
  }
}

test('decodeServerFrame on damaged frames never throws', () => {
  const seed = testSeed();
  console.log(`decodeServerFrame fuzz seed=${seed} (TESSERA_SEED=${seed} to replay)`);
  const random = new SeededRandom(seed);
  const outcomes = { response: 0, event: 0, events: 0, invalid: 0 };
  for (let round = 0; round < 6_000; round++) {
    const bytes = round < 1_000 ? random.bytes(random.below(200)) : mutateFrame(random, randomServerFrame(random));
    let decoded: ReturnType<typeof decodeServerFrame>;
    try {
      decoded = decodeServerFrame(bytes);
    } catch (error) {
      assert.fail(`round ${round}: decodeServerFrame threw ${String(error)} on ${Buffer.from(bytes).toString('hex')}`);
    }
    outcomes[decoded.type] += 1;
  }
  console.log(`decodeServerFrame fuzz: ${JSON.stringify(outcomes)}`);
  assert.ok(outcomes.invalid > 0 && outcomes.response + outcomes.event + outcomes.events > 0);
});
