import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chunkFrameBytes,
  checkChunk,
  decodeSnapshotFooter,
  decodeSnapshotHeader,
  encodeChunkFrame,
  encodeSnapshotFooter,
  encodeSnapshotHeader,
  parseSnapshotFileName,
  snapshotFileName,
} from './snapshot-format';

test('snapshot header, chunk frame and footer round trip; names sort by LSN', () => {
  const meta = { historyId: new Uint8Array(16).fill(9), startLsn: 2 ** 53 - 1, namespaces: ['content', 'n'.repeat(255), 'x'] };
  const header = encodeSnapshotHeader(meta);
  assert.equal(header.length % 8, 0);
  assert.deepEqual(decodeSnapshotHeader(header), meta);
  const frame = new Uint8Array(chunkFrameBytes);
  const bytes = new Uint8Array([1, 2, 3, 4, 5]);
  const crc = encodeChunkFrame(frame, bytes, 7);
  assert.equal(checkChunk(frame, bytes), crc);
  const footer = { chunks: 3, records: 2 ** 40, chainCrc: 0xdeadbeef };
  assert.deepEqual(decodeSnapshotFooter(encodeSnapshotFooter(footer)), footer);
  assert.equal(parseSnapshotFileName(snapshotFileName(0x1234)), 0x1234);
  assert.equal(parseSnapshotFileName('snapshot-1.snap'), -1);
  assert.ok(snapshotFileName(9) < snapshotFileName(10));
});

test('every flipped bit in a header, chunk or footer is detected', () => {
  const header = encodeSnapshotHeader({ historyId: new Uint8Array(16).fill(1), startLsn: 77, namespaces: ['a', 'bb'] });
  for (let bit = 0; bit < header.length * 8; bit++) {
    const damaged = header.slice();
    damaged[bit >>> 3]! ^= 1 << (bit & 7);
    assert.equal(decodeSnapshotHeader(damaged), null, `header bit ${bit}`);
  }
  const frame = new Uint8Array(chunkFrameBytes);
  const bytes = new Uint8Array(40).map((_, i) => i * 7);
  encodeChunkFrame(frame, bytes, 3);
  for (let bit = 0; bit < (12 + bytes.length) * 8; bit++) {
    const damagedFrame = frame.slice();
    const damagedBytes = bytes.slice();
    if (bit < 96) damagedFrame[bit >>> 3]! ^= 1 << (bit & 7);
    else damagedBytes[(bit - 96) >>> 3]! ^= 1 << (bit & 7);
    assert.equal(checkChunk(damagedFrame, damagedBytes), null, `chunk bit ${bit}`);
  }
  const footer = encodeSnapshotFooter({ chunks: 1, records: 3, chainCrc: 5 });
  for (let bit = 0; bit < footer.length * 8; bit++) {
    const damaged = footer.slice();
    damaged[bit >>> 3]! ^= 1 << (bit & 7);
    assert.equal(decodeSnapshotFooter(damaged), null, `footer bit ${bit}`);
  }
});
