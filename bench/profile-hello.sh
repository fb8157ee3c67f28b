#!/usr/bin/env bash
# Profile GET /hello?name=bob (issue 14): deploys bench's hello.js into a
# fresh data file, serves it pinned to CPU 0, loads it with wrk -t1 -c32 on
# CPU 1 and records 6 s with perf (dwarf call graphs; the binary needs
# symbols: `CARGO_PROFILE_RELEASE_STRIP=none cargo build --release` or the
# `profiling` profile). Writes OUTDIR/perf.data and OUTDIR/wrk.txt (with the
# server's CPU ticks over the recorded run).
# usage: bash bench/profile-hello.sh BIN OUTDIR
set -euo pipefail
BIN=$1; OUT=$2; mkdir -p "$OUT"
D=$(mktemp -d ${TMPDIR:-/tmp}/aiwe-prof.XXXX)
"$BIN" admin create bench@example.com --password benchpassword1 --data "$D/data.redb" >/dev/null
taskset -c 0 "$BIN" serve --data "$D/data.redb" --https off --http 127.0.0.1:0 >"$D/out" 2>"$D/err" </dev/null &
PID=$!
for i in $(seq 300); do URL=$(grep -o -m1 'listening on http://[0-9.]*:[0-9]*' "$D/out" | sed 's/listening on //' || true); [[ -n "$URL" ]] && break; sleep 0.1; done
python3 "$(dirname "$0")/benchlib.py" setup "$URL" bench@example.com benchpassword1 0 >&2
taskset -c 1 wrk -t1 -c32 -d2s "$URL/hello?name=bob" >/dev/null
t0=$(sed 's/.*) //' /proc/$PID/stat | awk '{print $12+$13}')
perf record -F 999 -g --call-graph dwarf,16384 -o "$OUT/perf.data" -p $PID -- sleep 6 2>"$OUT/perf.err" &
PP=$!
taskset -c 1 wrk -t1 -c32 -d6s "$URL/hello?name=bob" > "$OUT/wrk.txt"
wait $PP
t1=$(sed 's/.*) //' /proc/$PID/stat | awk '{print $12+$13}')
echo "cpu_ticks=$((t1-t0))" >> "$OUT/wrk.txt"
kill -TERM $PID; wait $PID || true
rm -rf "$D"
