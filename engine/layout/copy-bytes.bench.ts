// Chooses copyLoopBytesMax: a byte loop against subarray+set, shared memory to shared memory.
// Run: node dist/engine/layout/copy-bytes.bench.js
import Benchmark from 'benchmark';
import { copyWords } from './copy-bytes';

const source = new Uint8Array(new SharedArrayBuffer(1 << 20)).fill(7);
const target = new Uint8Array(new SharedArrayBuffer(1 << 20));
for (const length of [16, 64, 128, 1024]) {
  let offset = 0;
  new Benchmark.Suite(`copy ${length} bytes`)
    .add('loop', () => {
      offset = (offset + 4096) & 0x7ffff;
      for (let i = 0; i < length; i++) target[offset + i] = source[offset + i]!;
    })
    .add('subarray+set', () => {
      offset = (offset + 4096) & 0x7ffff;
      target.set(source.subarray(offset, offset + length), offset);
    })
    .on('cycle', (event: Benchmark.Event) => console.log(`${length} bytes: ${String(event.target)}`))
    .run();
}

const source32 = new Uint32Array(source.buffer);
const target32 = new Uint32Array(target.buffer);
const sourceView = { u8: source, u32: source32 };
const targetView = { u8: target, u32: target32 };
for (const length of [100, 256, 512, 1024]) {
  let offset = 0;
  new Benchmark.Suite(`copy ${length} bytes, same alignment`)
    .add('copyWords', () => {
      offset = (offset + 4096 + 4) & 0x7ffff;
      copyWords(sourceView, offset + 3, targetView, offset + 7, length);
    })
    .add('subarray+set', () => {
      offset = (offset + 4096 + 4) & 0x7ffff;
      target.set(source.subarray(offset + 3, offset + 3 + length), offset + 7);
    })
    .on('cycle', (event: Benchmark.Event) => console.log(`${length} bytes: ${String(event.target)}`))
    .run();
}
