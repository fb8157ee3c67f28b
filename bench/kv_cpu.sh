#!/usr/bin/env bash
# Server CPU per request for one kv route (issue 14): a fresh server with a
# kv script (POST /sum, GET /read, GET /plain, GET /hello), pinned to CPU 0,
# `wrk -t1` on CPU 1, 1 s warm-up, then DURATION measured. Prints req/s and
# the server's CPU microseconds per request (from /proc), which stays
# comparable when other load slows both of two binaries measured in turn.
# Usage: bash bench/kv_cpu.sh BIN PATH CONNS [DURATION]
#   e.g. for b in old new; do bash bench/kv_cpu.sh $b /sum 64; done
set -euo pipefail
BIN=$1; P=$2; C=$3; DUR=${4:-4s}
D=$(mktemp -d)
$BIN admin create bench@example.com --password benchpassword1 --data $D/d.redb >/dev/null
taskset -c 0 $BIN serve --data $D/d.redb --http 127.0.0.1:0 --https off >$D/out 2>/dev/null &
PID=$!
for _ in $(seq 100); do grep -q 'listening on http://' $D/out && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' $D/out | head -1)
TOKEN=$(curl -s "$URL/engine/auth/login" -d '{"email":"bench@example.com","password":"benchpassword1"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sf -X PUT "$URL/engine/api/scripts/kvbench.js" -H "Authorization: Bearer $TOKEN" --data-binary '
register("/sum", async () => { await kv.atomic().sum(["hits"], 1).commit(); return "ok"; }, "POST");
register("/read", async () => String((await kv.get(["hits"])).value));
register("/plain", async () => "plain");
register("/hello", (req) => "Hello " + req.query.name);
' >/dev/null
echo 'wrk.method = "POST"' > $D/post.lua
S=""; if [[ $P == /sum ]]; then S="-s $D/post.lua"; fi
taskset -c 1 wrk -t1 -c$C -d1s $S "$URL$P" >/dev/null
t0=$(awk '{print $14+$15}' /proc/$PID/stat)
out=$(taskset -c 1 wrk -t1 -c$C -d$DUR $S "$URL$P")
t1=$(awk '{print $14+$15}' /proc/$PID/stat)
n=$(awk '/requests in/ {print $1}' <<<"$out"); r=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
echo "$(basename $BIN) $P c=$C req/s=$r cpu_us_per_req=$(awk -v a=$t0 -v b=$t1 -v n=$n 'BEGIN{printf "%.1f", (b-a)*10000/n}')"
kill $PID; wait $PID 2>/dev/null || true; rm -rf "$D"
