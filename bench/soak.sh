#!/usr/bin/env bash
# Soak (issue 15 §3): mixed load for DURATION seconds (default 600) against
# one server: page GETs, kv writes and reads, GraphQL queries, 1,000 SSE
# clients (SSE_CLIENTS) receiving a broadcast every second (deliveries
# counted, misses reported), a script save every second, an asset upload
# every 5 s and an online backup every minute (verified with `verify`).
# Per minute: requests, errors, p99 (ms), RSS (MB), data file size (MB),
# broadcasts, deliveries, saves, uploads, backups. Fails on any error or
# missed delivery, RSS over +10% of minute 2, or file growth after minute 2
# over max(its minute-2 size, 20 MB). At the end the server is stopped
# (exit 0 required) and `aiwebengine verify` checks the file.
# BIN defaults to the debug binary in $CARGO_TARGET_DIR.
# Usage: DURATION=300 bash bench/soak.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DURATION=${DURATION:-600}
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/debug/aiwebengine}
TMP=$(mktemp -d); PID=""
trap '[[ -n "$PID" ]] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
"$BIN" admin create soak@example.com --password soakpassword1 --data "$TMP/d.redb" >/dev/null
"$BIN" serve --data "$TMP/d.redb" --http 127.0.0.1:0 --https off >"$TMP/out" 2>&1 &
PID=$!
for _ in $(seq 200); do grep -q 'listening on http://' "$TMP/out" && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$TMP/out" | head -1)
PID=$PID URL=$URL DATA="$TMP/d.redb" BIN="$BIN" python3 bench/soak.py
kill -TERM "$PID"; wait "$PID" || { echo "server exit status $?"; exit 1; }
PID=""
"$BIN" verify "$TMP/d.redb"
