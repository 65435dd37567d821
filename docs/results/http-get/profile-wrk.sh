#!/usr/bin/env bash
# profile-server.sh adapted: records the server during the wrk (cdn-get) phase only.
set -euo pipefail
seconds=${1:-12}; shift || true
OUT=${OUT:-$(mktemp -d)}
trap 'rm -f "$PWD"/isolate-*-v8.log' EXIT
NODE_OPTIONS=--perf-basic-prof node dist/perf/bench.js --workload cdn --targets tessera --rounds 1 \
  --warmup 1 --duration "$seconds" --json "$OUT/bench.json" --html "$OUT/bench.html" "$@" > "$OUT/bench.log" 2>&1 &
bench=$!
server=""
for _ in $(seq 1 120); do
  for child in $(pgrep -P "$bench" 2>/dev/null); do
    tr '\0' ' ' < "/proc/$child/cmdline" 2>/dev/null | grep -q 'tessera.js serve' && server=$child
  done
  [ -n "$server" ] && break; sleep 0.25
done
[ -n "$server" ] || { echo "no server" >&2; kill "$bench"; exit 1; }
for _ in $(seq 1 600); do grep -q '^wrk' "$OUT/bench.log" && break; sleep 0.25; done
sleep 1
perf record -e cpu-clock -F 1999 -g -p "$server" -o "$OUT/perf.data" -- sleep $(( seconds > 4 ? seconds - 3 : 1 )) > /dev/null 2>&1
wait "$bench" || true
echo "== bench"; grep -E 'cdn|target' "$OUT/bench.log" | head -8
echo "== by binary"
perf report -i "$OUT/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | grep '%' | head -8
echo "== top symbols"
perf report -i "$OUT/perf.data" --stdio --no-children --sort sym -g none 2>/dev/null | grep '%' | head -45
echo "raw data: $OUT"
