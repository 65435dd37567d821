// Chooses copyLoopBytesMax: a byte loop against subarray+set, shared memory to shared memory.
// Run: node dist/engine/copy-bytes.bench.js
import Benchmark from 'benchmark';

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
