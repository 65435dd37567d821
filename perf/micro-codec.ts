// Codec micro-benchmarks: the request and response frames of a get, a 1 KiB put and a batch of
// 16 gets, encoded and decoded. Types come from wire/codec; the module itself is loaded at run
// time so this suite reports "not available" instead of breaking the others if it is not built.

import * as path from 'node:path';
import type * as Codec from '../wire/codec';
import type { OpResult } from '../engine/layout/types';
import type { MicroCase, MicroSuite } from './micro-suite';
import { requireBuilt } from './micro-suite';
import { keyName, valueBytes } from './keys';

const codecPath = path.join(__dirname, '..', 'wire', 'codec');
const statusOk = 0;

function requests(): Record<string, Codec.WireOp[]> {
  const value = valueBytes(1024, 1);
  const batch: Codec.WireOp[] = [];
  for (let index = 0; index < 16; index++) batch.push({ op: 'get', ns: 'content', key: keyName(index) });
  return {
    'get': [{ op: 'get', ns: 'content', key: keyName(1) }],
    'put 1 KiB': [{ op: 'put', ns: 'content', key: keyName(1), value, ifGeneration: 7 }],
    'batch of 16 gets': batch,
  };
}

function getResult(): OpResult {
  return { status: statusOk, value: valueBytes(1024, 2), created: false, generation: 3, expiry: 0, lastModified: 1_700_000_000_000, contentType: 'text/html' };
}

export const codecSuite: MicroSuite = {
  name: 'wire codec (encode/decode)',
  cases(): MicroCase[] | string {
    const codec = requireBuilt<typeof Codec>(codecPath, ['encodeRequest', 'decodeRequest', 'encodeResponse', 'decodeServerFrame']);
    if (typeof codec === 'string') return codec;
    const cases: MicroCase[] = [];
    for (const [label, ops] of Object.entries(requests())) {
      const frame = codec.encodeRequest(1, ops);
      const decoded = codec.decodeRequest(frame);
      if (!decoded.ok) return `decodeRequest refused the ${label} frame: ${decoded.message}`;
      cases.push({ name: `encodeRequest ${label}`, run: () => codec.encodeRequest(1, ops).byteLength });
      cases.push({ name: `decodeRequest ${label}`, run: () => codec.decodeRequest(frame).ok });
    }
    const results = [getResult()];
    const response = codec.encodeResponse(1, results);
    cases.push({ name: 'encodeResponse get 1 KiB', run: () => codec.encodeResponse(1, results).byteLength });
    cases.push({ name: 'decodeServerFrame get 1 KiB', run: () => codec.decodeServerFrame(response).type });
    return cases;
  },
};
