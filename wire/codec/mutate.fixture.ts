// Test support: damage a valid frame the ways a fuzzer should: flipped bits, offsets and lengths
// overwritten with edge values, truncation, appended junk, copied spans.

import type { SeededRandom } from '../../engine/layout/seeded-random';

const edgeUint32 = [0, 1, 2, 3, 4, 7, 8, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

export function mutateFrame(random: SeededRandom, frame: Uint8Array): Uint8Array {
  const bytes = frame.slice();
  const mutations = 1 + random.below(4);
  let result: Uint8Array = bytes;
  for (let round = 0; round < mutations; round++) {
    result = mutateOnce(random, result);
  }
  return result;
}

function mutateOnce(random: SeededRandom, bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return random.bytes(random.below(16));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (random.below(7)) {
    case 0:
      bytes[random.below(bytes.length)] = random.below(256);
      return bytes;
    case 1:
      bytes[random.below(bytes.length)]! ^= 1 << random.below(8);
      return bytes;
    case 2: {
      if (bytes.length < 4) return bytes;
      const position = random.below(bytes.length >>> 2) * 4;
      const value = random.next() < 0.5 ? random.pick(edgeUint32) : random.below(bytes.length + 16);
      view.setUint32(position, value, true);
      return bytes;
    }
    case 3: {
      if (bytes.length < 2) return bytes;
      const position = random.below(bytes.length >>> 1) * 2;
      view.setUint16(position, random.pick(edgeUint32) & 0xffff, true);
      return bytes;
    }
    case 4:
      return bytes.subarray(0, random.below(bytes.length));
    case 5: {
      const longer = new Uint8Array(bytes.length + 1 + random.below(16));
      longer.set(bytes);
      longer.set(random.bytes(longer.length - bytes.length), bytes.length);
      return longer;
    }
    default: {
      const source = random.below(bytes.length);
      const target = random.below(bytes.length);
      const length = Math.min(random.below(16), bytes.length - Math.max(source, target));
      bytes.copyWithin(target, source, source + length);
      return bytes;
    }
  }
}
