// What a WAL record costs the front thread (encode) against the log-writer (seal = crc), and the
// alternative this module turned down: crc on the front thread (encode + seal there).
// Run: node dist/engine/layout/wal-record.bench.js
import Benchmark from 'benchmark';
import type { Change } from './types';
import { GrowableBytes } from './growable-bytes';
import { encodeWalRecord, sealWalRecord } from './wal-record';

for (const valueBytes of [100, 1024]) {
  const change: Change = { lsn: 1, kind: 'put', ns: 'content', key: new Uint8Array(24).fill(1), generation: 3, expiry: 0, lastModified: Date.now(), contentType: 'application/json', value: new Uint8Array(valueBytes).fill(2) };
  const buffer = new GrowableBytes(1 << 20);
  const reset = (): void => {
    if (buffer.length > (1 << 20) - 4096) buffer.length = 0;
  };
  new Benchmark.Suite(`record with a ${valueBytes} B value`)
    .add('encode (front thread, shipped)', () => {
      reset();
      change.lsn++;
      encodeWalRecord(buffer, change);
    })
    .add('encode + seal (crc on the front thread)', () => {
      reset();
      change.lsn++;
      const start = buffer.length;
      encodeWalRecord(buffer, change);
      sealWalRecord(buffer.u8, buffer.view, start);
    })
    .on('cycle', (event: Benchmark.Event) => console.log(`${valueBytes} B: ${String(event.target)}`))
    .run();
}
