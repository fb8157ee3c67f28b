#!/usr/bin/env bash
# Instructions per request for GET /hello?name=bob (issue 14), repeatable on a
# busy machine: deploys bench's hello.js into a fresh data file with a normal
# run of BIN, restarts BIN under `valgrind --tool=callgrind`, warms up with
# WARM requests, zeroes the counters, then counts exactly N keep-alive requests
# (one Python http.client connection, outside valgrind) and prints
# instructions/request. Writes OUTDIR/callgrind.out.* for callgrind_annotate.
# ROUTE=header counts GET /hello-header (the name sent as an X-Name header,
# read through req.headers) instead; ROUTE=graphql counts POST /graphql
# { hello(name: "bob") } against a resolver that returns the same string.
# usage: bash bench/callgrind-hello.sh BIN OUTDIR [N] [WARM]
set -euo pipefail
BIN=$1; OUT=$(realpath -m "$2"); N=${3:-500}; WARM=${4:-100}
mkdir -p "$OUT"; rm -f "$OUT"/callgrind.out.*
HERE=$(cd "$(dirname "$0")" && pwd)
D=$(mktemp -d ${TMPDIR:-/tmp}/aiwe-cg.XXXX)
PID=
cleanup() { [[ -n "$PID" ]] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
url_of() {
  for _ in $(seq 1200); do
    U=$(grep -o -m1 'listening on http://[0-9.]*:[0-9]*' "$1" | sed 's/listening on //' || true)
    [[ -n "$U" ]] && { echo "$U"; return; }
    sleep 0.1
  done
  echo "no 'listening on' line in $1" >&2; exit 1
}
"$BIN" admin create bench@example.com --password benchpassword1 --data "$D/data.redb" >/dev/null
"$BIN" serve --data "$D/data.redb" --https off --http 127.0.0.1:0 >"$D/out0" 2>"$D/err0" </dev/null &
PID=$!
BENCH_GRAPHQL=$([[ "${ROUTE:-}" == graphql ]] && echo 1 || true) \
  python3 "$HERE/benchlib.py" setup "$(url_of "$D/out0")" bench@example.com benchpassword1 0 >&2
kill -TERM $PID; wait $PID || true; PID=
# Under valgrind a first call (the new context) takes longer than
# js.inline_slow_ms and would keep the route on the JS pool for good; raise
# it so that the count is of the inline path that real load takes.
AIWEBENGINE_JS__INLINE_SLOW_MS=${INLINE_SLOW_MS:-5000} \
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.%p" \
  "$BIN" serve --data "$D/data.redb" --https off --http 127.0.0.1:0 >"$D/out" 2>"$D/err" </dev/null &
PID=$!
URL=$(url_of "$D/out")
drive() {
  python3 - "$URL" "$1" "${ROUTE:-query}" <<'EOF'
import http.client, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); n = int(sys.argv[2])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
method, path, headers, body, want = {
    "header": ("GET", "/hello-header", {"X-Name": "bob"}, None, b"Hello bob"),
    "graphql": ("POST", "/graphql", {"Content-Type": "application/json"},
                b'{"query":"{ hello(name: \\"bob\\") }"}', b'{"data":{"hello":"Hello bob"}}'),
}.get(sys.argv[3], ("GET", "/hello?name=bob", {}, None, b"Hello bob"))
for _ in range(n):
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse(); b = r.read()
    assert r.status == 200 and b == want, (r.status, b)
EOF
}
drive "$WARM"
callgrind_control -z "$PID" >/dev/null
drive "$N"
callgrind_control -d "$PID" >/dev/null
sleep 1
F=$(ls "$OUT"/callgrind.out.*.1)
IR=$(callgrind_annotate "$F" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1; exit}')
echo "requests=$N instructions=$IR per_request=$((IR / N)) file=$F"
