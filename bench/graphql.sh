#!/usr/bin/env bash
# GraphQL `{ hello }` vs the plain `/hello` route, same server, same run
# (issue 7 §4: target GraphQL >= 0.5x the route). Server pinned to CPU 0,
# wrk -t1 -c32 pinned to CPU 1. Usage: bash bench/graphql.sh [DURATION]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${1:-10s}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/aiwebengine-target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[[ -n "${SKIP_BUILD:-}" ]] || cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/aiwebengine"
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
run() { taskset -c 1 wrk -t1 -c32 -d"$DURATION" "$@" | awk '/Requests\/sec/ {print $2}'; }
run "$URL/hello?name=bob" >/dev/null  # warm-up, and promotes the route to inline
route=$(run "$URL/hello?name=bob")
gql=$(run -s "$TMP/post.lua" "$URL/graphql")
ratio=$(python3 -c "print(f'{$gql/$route:.2f}')")
printf '| request | req/s (c=32) |\n|---|---:|\n| GET /hello | %s |\n| POST /graphql { hello } | %s |\n\nGraphQL / route: %sx (target >= 0.5x)\n' "$route" "$gql" "$ratio" | tee bench/results/graphql.md
