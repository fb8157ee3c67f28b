#!/usr/bin/env bash
# kv throughput (issue 6 §1, issue 14): atomic increments per second from 32
# concurrent requests (check-and-retry on one key, and `sum`; `sum` also
# from 64), and reads per second, next to a plain route of the same script
# in the same run (the ratio issue 14 asks for). Server pinned to CPU 0,
# wrk -t1 pinned to CPU 1.
# Usage: bash bench/kv.sh [DURATION]   (SKIP_BUILD=1 reuses the release
# binary; BIN=path benchmarks another build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DURATION=${1:-10s}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/aiwebengine-target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
if [[ -z "${BIN:-}" ]]; then
  [[ -n "${SKIP_BUILD:-}" ]] || cargo build --release -q
  BIN="$CARGO_TARGET_DIR/release/aiwebengine"
fi
TMP=$(mktemp -d); PID=""
trap '[[ -n "$PID" ]] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
"$BIN" admin create bench@example.com --password benchpassword1 --data "$TMP/d.redb" >/dev/null
taskset -c 0 "$BIN" serve --data "$TMP/d.redb" --http 127.0.0.1:0 --https off >"$TMP/out" 2>/dev/null &
PID=$!
for _ in $(seq 100); do grep -q 'listening on http://' "$TMP/out" && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$TMP/out" | head -1)
TOKEN=$(curl -s "$URL/engine/auth/login" -d '{"email":"bench@example.com","password":"benchpassword1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sf -X PUT "$URL/engine/api/scripts/kvbench.js" -H "Authorization: Bearer $TOKEN" --data-binary '
register("/incr", async () => {
  for (;;) {
    const cur = await kv.get(["counter"]);
    const r = await kv.atomic().check(cur).set(["counter"], (cur.value ?? 0) + 1).commit();
    if (r.ok) return "ok";
  }
}, "POST");
register("/sum", async () => { await kv.atomic().sum(["hits"], 1).commit(); return "ok"; }, "POST");
register("/read", async () => String((await kv.get(["counter"])).value));
register("/plain", async () => "plain");
register("/count", async () => JSON.stringify([(await kv.get(["counter"])).value, (await kv.get(["hits"])).value]));
' >/dev/null
echo 'wrk.method = "POST"' >"$TMP/post.lua"
run() { taskset -c 1 wrk -t1 -c32 -d"$DURATION" "$@"; }
run64() { taskset -c 1 wrk -t1 -c64 -d"$DURATION" "$@"; }
rate() { awk '/Requests\/sec/ {print $2}'; }
total() { awk '/requests in/ {print $1}'; }
incr_out=$(run -s "$TMP/post.lua" "$URL/incr")
sum_out=$(run -s "$TMP/post.lua" "$URL/sum")
sum64_out=$(run64 -s "$TMP/post.lua" "$URL/sum")
plain_out=$(run "$URL/plain")
read_out=$(run "$URL/read")
counts=$(curl -s "$URL/count")
{
  printf '| operation (32 concurrent requests) | req/s |\n|---|---:|\n'
  printf '| atomic increment, check-and-retry on one key | %s |\n' "$(rate <<<"$incr_out")"
  printf '| atomic `sum` on one key | %s |\n' "$(rate <<<"$sum_out")"
  printf '| atomic `sum` on one key, 64 concurrent requests | %s |\n' "$(rate <<<"$sum64_out")"
  printf '| `kv.get` of one key | %s |\n' "$(rate <<<"$read_out")"
  printf '| plain route of the same script (no kv) | %s |\n' "$(rate <<<"$plain_out")"
  printf '\n`kv.get` / plain route: %s\n' "$(awk -v a="$(rate <<<"$read_out")" -v b="$(rate <<<"$plain_out")" 'BEGIN { printf "%.2f", a / b }')"
  printf '\nrequests completed: increment %s, sum %s; stored [counter, hits] = %s (at least the completed counts; requests in flight when wrk stopped commit too)\n' \
    "$(total <<<"$incr_out")" "$(( $(total <<<"$sum_out") + $(total <<<"$sum64_out") ))" "$counts"
} | tee "${OUT:-bench/results/kv.md}"
