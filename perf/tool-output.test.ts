// Parsers of what external programs print: redis-benchmark, wrk's result line, the shell's
// `times`, and /proc/PID/stat.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTimesChildrenUs } from './measured-command';
import { parseProcStatCpuTicks } from './proc-cpu';
import { parseRedisBenchmarkOutput, redisBenchmarkArgs } from './redis-benchmark-run';
import { parseWrkOutput } from './wrk-run';
import { wrkResultMarker, wrkScript } from './wrk-script';

// Captured from redis-benchmark 7.0.15 (progress lines end in \r).
const redisBenchmarkSample = `GET: rps=0.0 (overall: 0.0) avg_msec=-nan (overall: -nan)\r GET: rps=38232.0 (overall: 38079.7) avg_msec=0.179 (overall: 0.179)\r====== GET ======
  20000 requests completed in 0.37 seconds
  10 parallel clients
  1024 bytes payload
  keep alive: 1

Latency by percentile distribution:
0.000% <= 0.031 milliseconds (cumulative count 1)
50.000% <= 0.079 milliseconds (cumulative count 10072)
75.000% <= 0.111 milliseconds (cumulative count 15856)
87.500% <= 0.127 milliseconds (cumulative count 17588)
93.750% <= 0.159 milliseconds (cumulative count 18808)
96.875% <= 0.215 milliseconds (cumulative count 19382)
98.438% <= 0.503 milliseconds (cumulative count 19689)
99.219% <= 1.791 milliseconds (cumulative count 19845)
99.609% <= 3.231 milliseconds (cumulative count 19923)
99.805% <= 3.991 milliseconds (cumulative count 19961)
99.902% <= 5.623 milliseconds (cumulative count 19981)
100.000% <= 7.879 milliseconds (cumulative count 20000)

Cumulative distribution of latencies:
73.315% <= 0.103 milliseconds (cumulative count 14663)
100.000% <= 8.103 milliseconds (cumulative count 20000)

Summary:
  throughput summary: 53475.93 requests per second
  latency summary (msec):
          avg       min       p50       p95       p99       max
        0.124     0.024     0.079     0.175     1.303     7.879
`;

test('redis-benchmark output: throughput, summary percentiles and upper bounds for p90 / p99.9', () => {
  const parsed = parseRedisBenchmarkOutput(redisBenchmarkSample);
  assert.equal(parsed.requests, 20000);
  assert.equal(parsed.durationSec, 0.37);
  assert.equal(parsed.opsPerSec, 53475.93);
  assert.deepEqual(parsed.latencyUs, { p50: 79, p90: 159, p99: 1303, p999: 5623, max: 7879 });
  assert.equal(parsed.errors, 0);
  assert.throws(() => parseRedisBenchmarkOutput('nothing useful'), /not recognised/);
});

test('redis-benchmark arguments use our keyspace and concurrency', () => {
  const args = redisBenchmarkArgs({ binary: 'redis-benchmark', host: '127.0.0.1', port: 7000, connections: 50, pipeline: 4, threads: 2, keys: 1000, valueSize: 1024, requests: 5000 });
  assert.deepEqual(args, ['-h', '127.0.0.1', '-p', '7000', '-t', 'get', '-n', '5000', '-r', '1000', '-d', '1024', '-c', '50', '-P', '4', '--threads', '2']);
});

test('wrk result line from the Lua done() hook', () => {
  const output = `Running 1s test @ http://127.0.0.1:1\n${wrkResultMarker}{"requests":1000,"durationUs":2000000,"errors":3,"statusErrors":3,"p50":90,"p90":150,"p99":400,"p999":900,"max":1200}\n`;
  const parsed = parseWrkOutput(output);
  assert.equal(parsed.opsPerSec, 500);
  assert.equal(parsed.errors, 3);
  assert.deepEqual(parsed.latencyUs, { p50: 90, p90: 150, p99: 400, p999: 900, max: 1200 });
  assert.throws(() => parseWrkOutput('Running 1s test'), /no result line/);
});

test('the wrk script formats keys like redis-benchmark and refuses unsafe namespaces', () => {
  const script = wrkScript({ namespace: 'content', keys: 10, zipfExponent: 0.99, seed: 1, pipeline: 1 });
  assert.match(script, /key:%012d/);
  assert.match(script, /"\/v1\/content\/"/);
  assert.throws(() => wrkScript({ namespace: 'a"b', keys: 10, zipfExponent: 0.99, seed: 1, pipeline: 1 }), RangeError);
});

test('shell times: the children line, dash and bash formats', () => {
  assert.equal(parseTimesChildrenUs('noise\n0m0.010000s 0m0.000000s\n0m1.250000s 0m0.310000s\n'), 1_560_000);
  assert.equal(parseTimesChildrenUs('0m0.01s 0m0.00s\n1m2.500s 0m0.500s'), 63_000_000);
  assert.equal(parseTimesChildrenUs(''), 0);
});

test('/proc/PID/stat: utime + stime, even with spaces and parentheses in the name', () => {
  const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 5000 1000000 2000';
  assert.equal(parseProcStatCpuTicks(stat), 325);
  assert.throws(() => parseProcStatCpuTicks('1 (x) S'), /unexpected/);
});
