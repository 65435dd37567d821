// Which content coding a response gets (RFC 9110 §12.5.3 Accept-Encoding), and which stored values
// are worth compressing. A request without Accept-Encoding gets identity: RFC 9110 would allow any
// coding then, but a client that says nothing (curl, wrk, a health check) expects the bytes stored.

import { isMediaType } from '../../engine/layout/media-type';

export const enum Coding {
  Identity = 0,
  Gzip = 1,
  Brotli = 2,
}

/** Below this a compressed body saves less than its headers cost (Akamai and Cloudflare use ~1 KiB). */
export const compressionBytesMin = 1024;
/**
 * Above this a value is served as stored: compression runs on the main thread (once per version,
 * see compressed-copies.ts), and brotli (quality 5) of 256 KiB of HTML or JSON took 8-15 ms there
 * (perf/compression-cost.ts, shared machine): a larger value would stall every other request.
 */
export const compressionBytesMax = 256 * 1024;

const codingNames = ['', 'gzip', 'br'] as const;

export function codingName(coding: Coding.Gzip | Coding.Brotli): string {
  return codingNames[coding];
}

/** Entries of Accept-Encoding read at most; a longer list is a client to answer plainly. */
const entriesMax = 32;
const qValue = /^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$/i;

/**
 * Accept-Encoding values repeat (each browser sends one of a handful): their answers are kept,
 * bounded, so a GET costs a Map lookup instead of a split and a parse per entry.
 */
const negotiated = new Map<string, Coding>();
const negotiatedKeptMax = 256;

/** The coding to answer with: the acceptable one of br and gzip with the higher q (br on a tie). */
export function negotiateCoding(acceptEncoding: string): Coding {
  if (acceptEncoding === '') return Coding.Identity;
  let coding = negotiated.get(acceptEncoding);
  if (coding === undefined) {
    coding = parseAcceptEncoding(acceptEncoding);
    if (negotiated.size >= negotiatedKeptMax) negotiated.clear();
    negotiated.set(acceptEncoding, coding);
  }
  return coding;
}

function parseAcceptEncoding(acceptEncoding: string): Coding {
  let gzipQ = -1;
  let brotliQ = -1;
  let anyQ = -1;
  const entries = acceptEncoding.split(',', entriesMax);
  for (const entry of entries) {
    const semicolon = entry.indexOf(';');
    const name = (semicolon === -1 ? entry : entry.slice(0, semicolon)).trim().toLowerCase();
    let q = 1;
    if (semicolon !== -1) {
      const parameter = entry.slice(semicolon + 1).trim();
      if (!qValue.test(parameter)) continue;
      q = Number(parameter.slice(2));
    }
    if (name === 'gzip' || name === 'x-gzip') gzipQ = q;
    else if (name === 'br') brotliQ = q;
    else if (name === '*') anyQ = q;
  }
  if (gzipQ < 0) gzipQ = anyQ;
  if (brotliQ < 0) brotliQ = anyQ;
  if (brotliQ <= 0 && gzipQ <= 0) return Coding.Identity;
  return brotliQ >= gzipQ ? Coding.Brotli : Coding.Gzip;
}

/** Text-like media types: text/*, JSON, JavaScript, XML, SVG, and their +json / +xml kin. */
const compressibleTypes = /^(text\/[a-z0-9.+-]+|application\/([a-z0-9.-]+\+)?(json|xml)|application\/(javascript|x-javascript|ecmascript|wasm|x-www-form-urlencoded|graphql|yaml|x-yaml|toml|x-ndjson|manifest\+json)|image\/svg\+xml|image\/x-icon|font\/(ttf|otf))$/;

/**
 * Content types repeat: their verdicts are kept (bounded), so a GET costs one Map lookup rather
 * than a parse, a slice and a regex (~0.6 µs measured on a shared machine).
 */
const verdicts = new Map<string, boolean>();
const verdictsKeptMax = 1024;

/** True when a value of this stored content type and size is served compressed to clients that accept it. */
export function isCompressible(contentType: string, bytes: number): boolean {
  if (bytes < compressionBytesMin || bytes > compressionBytesMax) return false;
  let verdict = verdicts.get(contentType);
  if (verdict === undefined) {
    verdict = isCompressibleType(contentType);
    if (verdicts.size >= verdictsKeptMax) verdicts.clear();
    verdicts.set(contentType, verdict);
  }
  return verdict;
}

function isCompressibleType(contentType: string): boolean {
  if (!isMediaType(contentType)) return false;
  const semicolon = contentType.indexOf(';');
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return compressibleTypes.test(essence);
}
