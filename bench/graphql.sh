#!/usr/bin/env bash
# GraphQL `{ hello }` vs the plain `/hello` route, same server, same run
# (issue 7 §4: target GraphQL >= 0.5x the route). Server pinned to CPU 0,
# wrk -t1 -c32 pinned to CPU 1. Usage: [BIN=…] [OUT=…] bash bench/graphql.sh [DURATION]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${1:-10s}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/aiwebengine-target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# BIN=<binary> measures that build instead (and skips the build), e.g. for
# an A/B of two builds; OUT=<file> writes the table there.
if [[ -z "${BIN:-}" ]]; then
  [[ -n "${SKIP_BUILD:-}" ]] || cargo build --release -q
  BIN="$CARGO_TARGET_DIR/release/aiwebengine"
fi
OUT=${OUT:-bench/results/graphql.md}
TMP=$(mktemp -d); PID=""
trap '[[ -n "$PID" ]] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
"$BIN" admin create bench@example.com --password benchpassword1 --data "$TMP/d.redb" >/dev/null
taskset -c 0 "$BIN" serve --data "$TMP/d.redb" --http 127.0.0.1:0 --https off >"$TMP/out" 2>/dev/null &
PID=$!
for _ in $(seq 100); do grep -q 'listening on http://' "$TMP/out" && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$TMP/out" | head -1)
TOKEN=$(curl -s "$URL/engine/auth/login" -d '{"email":"bench@example.com","password":"benchpassword1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sf -X PUT "$URL/engine/api/scripts/hello.js" -H "Authorization: Bearer $TOKEN" --data-binary \
  'register("/hello", (req) => "Hello " + req.query.name);
   registerGraphQLQuery("hello", "hello(name: String): String", (args) => "Hello " + args.name);' >/dev/null
cat >"$TMP/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ hello(name: \\"bob\\") }"}'
LUA
curl -s "$URL/graphql" -d '{"query":"{ hello(name: \"bob\") }"}'; echo
# Server CPU time (user+system, all threads) in clock ticks, from /proc.
cpu() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
# Prints "req/s cpu-us-per-request". CPU per request is the steadier figure
# on a shared machine: other load slows wrk and the server alike, but does
# not change how much CPU one request costs.
run() {
  local before after out
  before=$(cpu)
  out=$(taskset -c 1 wrk -t1 -c32 -d"$DURATION" "$@")
  after=$(cpu)
  python3 - "$out" "$before" "$after" "$(getconf CLK_TCK)" <<'PY'
import re, sys
out, b, a, tck = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
total = int(re.search(r"(\d+) requests in", out).group(1))
print(f"{rps:.0f} {(a - b) / tck * 1e6 / total:.1f}")
PY
}
run "$URL/hello?name=bob" >/dev/null  # warm-up, and promotes the route to inline
run -s "$TMP/post.lua" "$URL/graphql" >/dev/null  # promotes the resolver to inline
read -r route route_us <<<"$(run "$URL/hello?name=bob")"
read -r gql gql_us <<<"$(run -s "$TMP/post.lua" "$URL/graphql")"
ratio=$(python3 -c "print(f'{$gql/$route:.2f}')")
cpu_ratio=$(python3 -c "print(f'{$route_us/$gql_us:.2f}')")
printf '| request | req/s (c=32) | server CPU per request |\n|---|---:|---:|\n| GET /hello | %s | %s us |\n| POST /graphql { hello } | %s | %s us |\n\nGraphQL / route: %sx by req/s, %sx by CPU per request (target >= 0.5x)\n' \
  "$route" "$route_us" "$gql" "$gql_us" "$ratio" "$cpu_ratio" | tee "$OUT"
