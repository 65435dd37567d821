// What compressing a stored value costs, to choose the codings' settings and to justify the
// compressed-copy cache (wire/server/compressed-copies.ts): compression time per value and size,
// for gzip levels and brotli qualities, on JSON and HTML made here (seeded, no data set needed),
// against the cost of a cache hit. Run: node dist/perf/compression-cost.js [--rounds N]

import { performance } from 'node:perf_hooks';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { CompressedCopies } from '../wire/server/compressed-copies';
import { Coding } from '../wire/server/content-encoding';

function html(bytes: number): Buffer {
  let text = '<!doctype html><html><head><title>Article</title></head><body>';
  for (let index = 0; text.length < bytes; index++) text += `<article id="a${index}"><h2>Heading ${index}</h2><p>Paragraph ${index * 7919 % 1000} of a content page, with <a href="/x/${index}">a link</a>.</p></article>\n`;
  return Buffer.from(text.slice(0, bytes));
}

function json(bytes: number): Buffer {
  const items: object[] = [];
  let text = '';
  for (let index = 0; text.length < bytes; index++) {
    items.push({ id: index, slug: `article-${index * 31 % 997}`, title: `Title ${index}`, tags: ['news', `t${index % 13}`], published: 1795000000 + index * 61 });
    text = JSON.stringify({ items });
  }
  return Buffer.from(text.slice(0, bytes));
}

function timeUs(work: () => void, rounds: number): number {
  work();
  const started = performance.now();
  for (let round = 0; round < rounds; round++) work();
  return ((performance.now() - started) * 1000) / rounds;
}

const roundsArgument = process.argv.indexOf('--rounds');
const rounds = roundsArgument === -1 ? 200 : Number(process.argv[roundsArgument + 1]);
const settings: [string, (value: Buffer) => Buffer][] = [
  ['gzip 1', (value) => gzipSync(value, { level: 1 })],
  ['gzip 6', (value) => gzipSync(value, { level: 6 })],
  ['gzip 9', (value) => gzipSync(value, { level: 9 })],
  ['br 4', (value) => brotliCompressSync(value, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } })],
  ['br 5', (value) => brotliCompressSync(value, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } })],
  ['br 11', (value) => brotliCompressSync(value, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } })],
];
console.log('value          setting   bytes out   ratio   µs per compression');
for (const [name, make] of [['html', html], ['json', json]] as const) {
  for (const bytes of [1024, 16 * 1024, 256 * 1024]) {
    const value = make(bytes);
    for (const [setting, compress] of settings) {
      const out = compress(value).byteLength;
      const us = timeUs(() => compress(value), bytes >= 256 * 1024 && setting === 'br 11' ? Math.max(3, rounds / 50) : rounds);
      console.log(`${`${name} ${bytes / 1024} KiB`.padEnd(14)} ${setting.padEnd(8)} ${String(out).padStart(10)} ${(out / bytes).toFixed(3).padStart(7)} ${us.toFixed(1).padStart(12)}`);
    }
  }
}
const copies = new CompressedCopies();
const key = new TextEncoder().encode('articles/2026/some-page');
const value = html(16 * 1024);
copies.copy('content', key, '"1795000000123001-1"', Coding.Brotli, value);
const hitUs = timeUs(() => copies.copy('content', key, '"1795000000123001-1"', Coding.Brotli, value), rounds * 100);
console.log(`cache hit (16 KiB html, br): ${hitUs.toFixed(2)} µs`);
