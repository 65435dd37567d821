// An HTTP fuzz test (issue 9): a seeded generator of malformed and pipelined HTTP requests, each
// case on its own TCP connection to a real server process. Checked for every case: whatever the
// server sends is whole HTTP/1.1 responses (a status line, headers, a delimited body), or nothing
// before a clean close; the server stays up; and no record changes except through a write the
// server answered 2xx (a reference model of the keys, compared at the end with real GETs).
// Replay a failure with TESSERA_SEED=<seed printed below>.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SeededRandom, testSeed } from '../../engine/layout/seeded-random';
import { parseResponses, rawHttp } from './raw-http.fixture';
import { spawnServer, testConfig, type ServerProcess } from './server-process.fixture';

const caseCount = 150;
const timeBudgetMs = 60_000;
const keyCount = 6;
let server: ServerProcess;

before(async () => {
  server = await spawnServer({ config: testConfig() });
});

after(async () => {
  await server?.stop();
});

/** What the model needs of one request of a case: what a 2xx answer to it changed. */
interface RequestEffect {
  method: string;
  /** The key its path names (plain or absolute form), else null. */
  key: number | null;
  /** What a PUT stores if it is accepted (null: the generator expects it refused). */
  value: Buffer | null;
}

interface FuzzCase {
  bytes: Buffer;
  /**
   * The requests whose answers can be told apart, in order: those up to the first one whose body
   * is not exactly as its head declares (where the next request starts is then the server's
   * guess), and none after raw garbage.
   */
  attributable: RequestEffect[];
  /** Keys named anywhere in the case. */
  keys: number[];
}

const methods = ['GET', 'GET', 'PUT', 'PUT', 'PUT', 'DELETE', 'HEAD', 'POST', 'FOO', 'get'];
const malformedVersions = ['HTTP/1.0', 'HTTP/2', 'HTTP/1.1 x', ''];

function pathFor(random: SeededRandom, key: number): string {
  const plain = `/v1/content/fuzz/${key}`;
  if (random.below(3) !== 0) return plain;
  return random.pick([plain, `http://127.0.0.1${plain}`, `${plain}?ttl=${random.pick(['60', 'x', '-1'])}`, '/v1/content/fuzz/%zz', `/v1/content/${'k'.repeat(300)}`, '/v1/nowhere/x', '*', plain.replace('/', '')]);
}

function contentLengthHeaders(random: SeededRandom, bodyLength: number): string {
  const mutation = random.below(10);
  if (mutation < 5) return `Content-Length: ${bodyLength}\r\n`;
  if (mutation === 5) return '';
  if (mutation === 6) return `Content-Length: ${bodyLength}\r\nContent-Length: ${bodyLength + 1}\r\n`;
  if (mutation === 7) return `Content-Length: ${random.pick(['abc', '-5', '+5', '1,5', ' ', '99999999999999999999'])}\r\n`;
  if (mutation === 8) return `Content-Length: ${random.below(bodyLength + 4)}\r\n`;
  return `Transfer-Encoding: ${random.pick(['chunked', 'gzip', 'chunked, chunked'])}\r\n`;
}

function extraHeaders(random: SeededRandom): string {
  let headers = '';
  const count = random.below(4);
  for (let index = 0; index < count; index++) {
    if (random.below(5) === 0) {
      headers += random.pick(['NoColonHere\r\n', `X-Big: ${'a'.repeat(random.below(9000))}\r\n`, 'X-Ctl: a\x01b\r\n', ' leading-space: x\r\n']);
      continue;
    }
    headers += random.pick([
      'X-Fuzz: 1\r\n',
      'Content-Type: text/plain\r\n',
      'Content-Type: text/html, evil\r\n',
      'If-Match: "1"\r\n',
      'If-None-Match: *\r\n',
      'Connection: close\r\n',
      `X-Long: ${'b'.repeat(random.below(2000))}\r\n`,
    ]);
  }
  return headers;
}

interface GeneratedRequest {
  bytes: Buffer;
  method: string;
  /** The key its path names (plain or absolute form), else null. */
  key: number | null;
  /** A PUT to a plain path over HTTP/1.1: one the server may accept. */
  simplePut: boolean;
  /** Its Content-Length when that is one plain number, and its chunked body when chunked. */
  declaredLength: number | null;
  chunkedBody: Buffer | null;
  /** Its body is exactly what its head declares (or it has neither), so the next request starts after it. */
  framed: boolean;
  /** Where its body starts within its own bytes. */
  headBytes: number;
}

/** One request, well formed or not. */
function request(random: SeededRandom): GeneratedRequest {
  const method = random.pick(methods);
  const key = random.below(keyCount);
  const path = pathFor(random, key);
  const version = random.below(10) === 0 ? random.pick(malformedVersions) : 'HTTP/1.1';
  const body = Buffer.from(`v${random.below(1_000_000)}`);
  const hasBody = method.trim() === 'PUT' || method === 'POST' || random.below(8) === 0;
  const lengthHeader = hasBody ? contentLengthHeaders(random, body.length) : '';
  const chunked = lengthHeader === 'Transfer-Encoding: chunked\r\n';
  const payload = !hasBody ? Buffer.alloc(0) : chunked ? Buffer.from(`${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`) : body;
  const head = `${method} ${path} ${version}\r\nHost: 127.0.0.1\r\n${lengthHeader}${extraHeaders(random)}\r\n`;
  // A cut-short body, except a chunked one: uWS 20.30 takes a chunk cut short by a pipelined request
  // as body and answers the PUT (a known limitation, pinned in transfer-encoding-headers.test.ts).
  const cut = random.below(12) === 0 && !chunked;
  const sent = cut ? payload.subarray(0, random.below(payload.length + 1)) : payload;
  const bytes = Buffer.concat([Buffer.from(head, 'latin1'), sent]);
  const declared = /^Content-Length: (\d+)\r\n$/.exec(lengthHeader);
  const framed = lengthHeader === '' ? sent.length === 0 : chunked ? sent.length === payload.length : declared !== null && Number(declared[1]) === sent.length;
  const namesKey = path.startsWith(`/v1/content/fuzz/${key}`) || path.startsWith(`http://127.0.0.1/v1/content/fuzz/${key}`);
  return {
    bytes,
    method,
    key: namesKey ? key : null,
    simplePut: method === 'PUT' && (path === `/v1/content/fuzz/${key}` || path === `/v1/content/fuzz/${key}?ttl=60`) && version === 'HTTP/1.1',
    declaredLength: declared === null ? null : Number(declared[1]),
    chunkedBody: chunked ? body : null,
    framed,
    headBytes: Buffer.byteLength(head, 'latin1'),
  };
}

function fuzzCase(random: SeededRandom): FuzzCase {
  const requests = [request(random)];
  // A third of the cases pipeline more requests into the same write, and some end in raw garbage.
  const extra = random.below(3) === 0 ? 1 + random.below(3) : 0;
  for (let index = 0; index < extra; index++) requests.push(request(random));
  const garbage = random.below(8) === 0 ? Buffer.from(random.bytes(random.below(64))) : Buffer.alloc(0);
  const bytes = Buffer.concat([...requests.map((generated) => generated.bytes), garbage]);
  const attributable: RequestEffect[] = [];
  let offset = 0;
  for (const generated of requests) {
    // What a PUT stores if it is accepted: its chunked body, or its declared length of bytes after
    // its head (which may run into what was pipelined after it).
    let value: Buffer | null = null;
    if (generated.simplePut && generated.chunkedBody !== null) value = generated.chunkedBody;
    if (generated.simplePut && generated.declaredLength !== null) {
      const bodyStart = offset + generated.headBytes;
      value = bytes.subarray(bodyStart, bodyStart + generated.declaredLength);
    }
    attributable.push({ method: generated.method, key: generated.key, value });
    if (!generated.framed) break;
    offset += generated.bytes.length;
  }
  const keys = requests.map((generated) => generated.key).filter((key): key is number => key !== null);
  return { bytes, attributable, keys };
}

async function readKey(key: number): Promise<string | null> {
  const response = await fetch(`${server.httpUrl}/v1/content/fuzz/${key}`);
  return response.status === 404 ? null : response.text();
}

test('HTTP fuzz: whole responses or a clean close; server up; records change only through answered writes', async () => {
  const seed = testSeed();
  console.log(`http fuzz seed ${seed} (replay with TESSERA_SEED=${seed})`);
  const random = new SeededRandom(seed);
  const model = new Map<number, string | null>();
  for (let key = 0; key < keyCount; key++) {
    const response = await fetch(`${server.httpUrl}/v1/content/fuzz/${key}`, { method: 'PUT', body: `initial ${key}` });
    assert.equal(response.status, 201);
    model.set(key, `initial ${key}`);
  }
  const outcomes = { answered: 0, closedUnanswered: 0, silent: 0, resynced: 0 };
  const startedMs = Date.now();
  let cases = 0;
  for (; cases < caseCount && Date.now() - startedMs < timeBudgetMs; cases++) {
    const fuzz = fuzzCase(random);
    const exchange = await rawHttp(server.port, fuzz.bytes, { timeoutMs: 200 });
    const text = exchange.raw.toString('latin1');
    const responses = parseResponses(exchange.raw, (index) => fuzz.attributable[index]?.method === 'HEAD');
    const context = `seed ${seed} case ${cases}: ${JSON.stringify(fuzz.bytes.toString('latin1').slice(0, 300))} → ${JSON.stringify(text.slice(0, 300))}`;
    if (exchange.raw.length > 0) {
      assert.match(text, /^HTTP\/1\.1 [1-5]\d\d /, `a status line first: ${context}`);
      assert.ok(responses.length > 0, `whole responses: ${context}`);
    }
    if (responses.length > 0) outcomes.answered++;
    else if (exchange.closed) outcomes.closedUnanswered++;
    else outcomes.silent++;
    // Answers are in request order (uWS answers pipelined requests only when each is answered at
    // once; see http-pipelining.test.ts), so answer i belongs to request i.
    for (const [index, response] of responses.entries()) {
      const effect = fuzz.attributable[index];
      if (effect === undefined) {
        // More answers than requests whose framing the generator can vouch for: the keys of this
        // case are read back instead of predicted (counted, so a run shows how often).
        outcomes.resynced++;
        for (const key of fuzz.keys) model.set(key, await readKey(key));
        break;
      }
      if (response.status < 200 || response.status >= 300 || effect.key === null) continue;
      if (effect.method === 'DELETE') model.set(effect.key, null);
      else if (effect.method === 'PUT') {
        assert.ok(effect.value !== null, `a PUT the generator did not expect to be accepted was answered ${response.status}: ${context}`);
        model.set(effect.key, effect.value.toString('latin1'));
      }
    }
  }
  console.log(`http fuzz: ${cases} cases in ${Date.now() - startedMs} ms: ${JSON.stringify(outcomes)}`);
  assert.ok(cases >= 50, `at least 50 cases ran (${cases})`);
  assert.ok(outcomes.answered > 0 && outcomes.closedUnanswered + outcomes.silent > 0, 'both kinds of input came up');
  const status = await fetch(`${server.httpUrl}/status`);
  assert.equal(status.status, 200, 'the server is up');
  for (const [key, expected] of model) {
    const response = await fetch(`${server.httpUrl}/v1/content/fuzz/${key}`);
    if (expected === null) assert.equal(response.status, 404, `seed ${seed}: key ${key} deleted`);
    else assert.equal(await response.text(), expected, `seed ${seed}: key ${key} holds what the last answered write stored`);
  }
});

test('a request uWS cannot parse (here HTTP/1.0) gets no answer, and its connection is closed by uWS within its idle timeout', async () => {
  const startedMs = Date.now();
  const exchange = await rawHttp(server.port, 'GET /v1/content/fuzz/0 HTTP/1.0\r\n\r\n', { timeoutMs: 15_000 });
  assert.equal(exchange.raw.length, 0);
  assert.equal(exchange.closed, true, 'closed, not left open');
  console.log(`uWS closed the unparsed connection after ${Date.now() - startedMs} ms`);
});
