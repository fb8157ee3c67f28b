#!/usr/bin/env bash
# Multi-core (issue 14): GET /hello?name=bob with the server given 1 core and
# then all cores, engine and bare axum side by side. One command:
# `bash bench/cores.sh`.
#
# 1 core: the server pinned to CPU 0, `wrk -t1` on CPU 1 (as bench/run.sh).
# N cores: the server unpinned (it starts one I/O thread per core it may use)
# and `wrk -tN` unpinned too; on a 2-core machine wrk shares the cores with
# the server, so that row is what the whole machine serves, load generator
# included, and the server's CPU per request shows whether a request got
# dearer with more threads. Servers are restarted for every run (the engine
# sizes its threads at start), rounds are interleaved, the table shows medians.
# The "share" column is how the server's CPU split over its I/O threads
# (engine; 50/50 is an even spread on 2 cores).
#
# Environment (all optional): BIN, AXUM_BIN (default: release builds in
# CARGO_TARGET_DIR, built unless SKIP_BUILD=1), DURATION=5s, RUNS=3, CONNS=64,
# OUT=bench/results/cores.md.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for v in BIN AXUM_BIN OUT; do
    if [[ -n "${!v:-}" && "${!v}" != /* ]]; then printf -v "$v" '%s' "$PWD/${!v}"; fi
done
cd "$BENCH_DIR/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/aiwebengine-target}"
DURATION=${DURATION:-5s}
RUNS=${RUNS:-3}
CONNS=${CONNS:-64}
OUT=${OUT:-$BENCH_DIR/results/cores.md}
NCPU=$(nproc)
[[ $NCPU -ge 2 ]] || { echo "bench: needs 2 cores or more" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [[ -z "${BIN:-}" ]]; then
    [[ "${SKIP_BUILD:-0}" == 1 ]] || cargo build --release -q
    BIN="$CARGO_TARGET_DIR/release/aiwebengine"
fi
if [[ -z "${AXUM_BIN:-}" ]]; then
    [[ "${SKIP_BUILD:-0}" == 1 ]] ||
        cargo build --release -q --locked --manifest-path "$BENCH_DIR/axum-hello/Cargo.toml"
    AXUM_BIN="$CARGO_TARGET_DIR/release/axum-hello"
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aiwebengine-cores.XXXXXX")
PID=""
trap '[[ -n "$PID" ]] && kill "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
TICKS=$(getconf CLK_TCK)

"$BIN" admin create bench@example.com --password benchpassword1 --data "$TMP/d.redb" >/dev/null

wait_url() {
    for _ in $(seq 300); do
        grep -q 'listening on http://' "$1" 2>/dev/null && break
        sleep 0.05
    done
    grep -o -m1 'http://[0-9.]*:[0-9]*' "$1" || { echo "bench: no 'listening on' line" >&2; exit 1; }
}

# start SERVER CPUS: starts it with that CPU affinity; sets PID and URL
start() {
    case $1 in
        engine) taskset -c "$2" "$BIN" serve --data "$TMP/d.redb" --https off \
                    --http 127.0.0.1:0 >"$TMP/out" 2>"$TMP/err" </dev/null & ;;
        axum) taskset -c "$2" "$AXUM_BIN" 127.0.0.1:0 >"$TMP/out" 2>"$TMP/err" </dev/null & ;;
    esac
    PID=$!
    URL=$(wait_url "$TMP/out")
}
stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

# The hello script, deployed once; every later start serves it.
start engine 0
python3 "$BENCH_DIR/benchlib.py" setup "$URL" bench@example.com benchpassword1 0 >/dev/null
stop

cpu_of() { awk '{print $14 + $15}' "$1"; }
# Per-thread CPU of the engine's I/O threads (named http-N), "name ticks" lines.
io_threads() {
    for t in /proc/"$PID"/task/*; do
        if [[ "$(cat "$t/comm")" == http-* ]]; then echo "$(cat "$t/comm") $(cpu_of "$t/stat")"; fi
    done | sort
}

ROWS="$TMP/rows.tsv"; : >"$ROWS"
# run SERVER CORES: one measured run; appends "server cores req/s cpu_us share"
run() {
    local server=$1 cores=$2 cpus wrk_pin threads
    if [[ $cores == 1 ]]; then cpus=0; wrk_pin=(taskset -c 1); threads=1
    else cpus="0-$((NCPU - 1))"; wrk_pin=(); threads=$cores; fi
    start "$server" "$cpus"
    "${wrk_pin[@]}" wrk -t"$threads" -c"$CONNS" -d1s "$URL/hello?name=bob" >/dev/null
    local c0 c1 t0 t1 out
    c0=$(cpu_of /proc/"$PID"/stat); t0=$(io_threads)
    out=$("${wrk_pin[@]}" wrk -t"$threads" -c"$CONNS" -d"$DURATION" "$URL/hello?name=bob")
    c1=$(cpu_of /proc/"$PID"/stat); t1=$(io_threads)
    stop
    local n rps share
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
        echo "bench: errors in the $server run:" >&2; echo "$out" >&2; exit 1
    fi
    # Each I/O thread's share of the I/O threads' CPU, e.g. "51/49".
    share=$(join <(echo "$t0") <(echo "$t1") |
        awk '{d[NR] = $3 - $2; s += $3 - $2} END {
            if (NR < 2 || s == 0) { print "-"; exit }
            for (i = 1; i <= NR; i++) printf "%s%d", (i > 1 ? "/" : ""), d[i] * 100 / s }')
    printf '%s\t%s\t%s\t%s\t%s\n' "$server" "$cores" "$rps" \
        "$(awk -v a="$c0" -v b="$c1" -v n="$n" -v t="$TICKS" 'BEGIN {printf "%.1f", (b - a) / t * 1e6 / n}')" \
        "$share" >>"$ROWS"
    echo "== round $round: $server on $cores core(s): $rps req/s" >&2
}

for round in $(seq "$RUNS"); do
    for cores in 1 "$NCPU"; do
        for server in engine axum; do run "$server" "$cores"; done
    done
done

python3 - "$ROWS" "$OUT" "$NCPU" "$CONNS" "$DURATION" "$RUNS" \
    "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'PY'
import statistics, sys, time
rows_path, out, ncpu, conns, duration, runs, commit = sys.argv[1:]
rows = [l.rstrip("\n").split("\t") for l in open(rows_path) if l.strip()]
def med(server, cores, i):
    return statistics.median(float(r[i]) for r in rows if r[0] == server and r[1] == cores)
def shares(server, cores):
    return ", ".join(r[4] for r in rows if r[0] == server and r[1] == cores)
one, many = "1", ncpu
lines = [
    f"# Hello on 1 core and on {ncpu} cores ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit {commit})",
    "",
    f"`bash bench/cores.sh`: `GET /hello?name=bob`, wrk -c{conns}, {duration} per run, "
    f"medians of {runs} interleaved rounds. 1 core: server on CPU 0, `wrk -t1` on CPU 1. "
    f"{ncpu} cores: server and `wrk -t{ncpu}` both unpinned (wrk shares the cores).",
    "",
    f"| server | req/s, 1 core | req/s, {ncpu} cores | {ncpu} cores ÷ 1 | CPU/request, 1 core | CPU/request, {ncpu} cores | I/O thread shares ({ncpu} cores) |",
    "|---|---:|---:|---:|---:|---:|---|",
]
for server, label in (("engine", "aiwebengine"), ("axum", "bare axum (no JS)")):
    r1, rn = med(server, one, 2), med(server, many, 2)
    lines.append(
        f"| {label} | {r1:,.0f} | {rn:,.0f} | {rn / r1:.2f}× | {med(server, one, 3):.1f} µs "
        f"| {med(server, many, 3):.1f} µs | {shares(server, many) if server == 'engine' else '-'} |")
e1, en, a1, an = med("engine", one, 2), med("engine", many, 2), med("axum", one, 2), med("axum", many, 2)
lines += ["", f"Engine ÷ bare axum: {e1 / a1:.2f}× on 1 core, {en / an:.2f}× on {ncpu} cores.", ""]
text = "\n".join(lines)
open(out, "w").write(text)
print(text)
PY
