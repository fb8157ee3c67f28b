#!/usr/bin/env bash
# Benchmark harness (issue 3 §8, issue 14). One command: `bash bench/run.sh`.
#
# One table from one run: aiwebengine serving a deployed JavaScript handler,
# bare axum with no JS (bench/axum-hello), Node.js `http` (bench/node_hello.js)
# and, when found, Bun and Deno (bench/fetch_hello.js), all answering
# GET /hello?name=bob with "Hello bob". Servers are pinned to CPU 0, wrk (-t1)
# to CPU 1. The servers run side by side and are measured interleaved
# (A B C A B C ...) for RUNS rounds; the table shows the medians, so one noisy
# run does not decide. Writes bench/results/latest.md. See docs/performance.md.
#
# Environment (all optional):
#   DURATION=10s        wrk duration per run (e.g. DURATION=3s for a quick look)
#   WARMUP=2s           unrecorded warm-up load for each server before round 1
#   CONNS="1 32 256"    connection counts
#   RUNS=3              rounds; each measures every server at every count
#   SERVERS="engine axum node bun deno"   which servers to measure
#   BIN=path            engine binary to measure (skips the engine build), e.g.
#                       an older build for a before/after comparison
#   AXUM_BIN=path       bare axum binary (default: built from bench/axum-hello)
#   BUN=path DENO=path  runtimes (default: PATH, then BENCH_CACHE)
#   BENCH_INSTALL=1     install Bun/Deno missing from PATH and BENCH_CACHE from
#                       the npm registry into BENCH_CACHE (otherwise skipped)
#   BENCH_CACHE=dir     default /var/tmp/aiwebengine-bench-cache
#   COLD_RUNS=5         restarts timed for the cold-start median (0 skips it)
#   NSCRIPTS=100        filler scripts stored (cold start is timed with them)
#   SKIP_BUILD=1        build nothing; use the existing binaries
#   CARGO_TARGET_DIR    default /var/tmp/aiwebengine-target
#   OUT=path.md         report file (default bench/results/latest.md)
#   IDLE_WAIT=120       seconds to wait for other processes to go quiet first
#   BUSY_RETRIES=3      times a wrk run is redone when other processes used
#                       more than 10% of a core during it
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# Paths given relative to where the command was run, before the cd below.
for v in BIN AXUM_BIN BUN DENO BENCH_CACHE OUT; do
    if [[ -n "${!v:-}" && "${!v}" != /* ]]; then printf -v "$v" '%s' "$PWD/${!v}"; fi
done
cd "$ROOT"

# The command as given, with the knobs that were set, for the report.
KNOBS="DURATION WARMUP CONNS RUNS SERVERS BIN AXUM_BIN BUN DENO BENCH_INSTALL BENCH_CACHE
       COLD_RUNS NSCRIPTS SKIP_BUILD OUT IDLE_WAIT BUSY_RETRIES"
COMMAND=""
for v in $KNOBS; do
    if [[ -n "${!v+x}" ]]; then COMMAND+="$v=${!v@Q} "; fi
done
COMMAND+="bash bench/run.sh"

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-"1 32 256"}
RUNS=${RUNS:-3}
SERVERS=${SERVERS:-"engine axum node bun deno"}
COLD_RUNS=${COLD_RUNS:-5}
NSCRIPTS=${NSCRIPTS:-100}
IDLE_WAIT=${IDLE_WAIT:-120}
BUSY_RETRIES=${BUSY_RETRIES:-3}
BENCH_CACHE=${BENCH_CACHE:-/var/tmp/aiwebengine-bench-cache}
OUT=${OUT:-$BENCH_DIR/results/latest.md}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/aiwebengine-target}"
ENGINE_BUILD=0
if [[ -z "${BIN:-}" ]]; then BIN="$CARGO_TARGET_DIR/release/aiwebengine"; ENGINE_BUILD=1; fi
AXUM_BUILD=0
if [[ -z "${AXUM_BIN:-}" ]]; then AXUM_BIN="$CARGO_TARGET_DIR/release/axum-hello"; AXUM_BUILD=1; fi
EMAIL=bench@example.com
PASSWORD=benchpassword1
LIB="$BENCH_DIR/benchlib.py"

log() { echo "== $*" >&2; }
fail() { echo "bench: $*" >&2; exit 1; }
has() { [[ " $SERVERS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- cleanup
# fd 3: the real stderr, for cleanup, which can run from a signal trap while
# a command's stderr is redirected (the wrk runs' is, to a temp file).
exec 3>&2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/aiwebengine-bench.XXXXXX")
PIDS=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local pids=("${PIDS[@]}")
    if [[ -f "$TMP/cold.pid" ]]; then pids+=("$(cat "$TMP/cold.pid")"); fi
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ $rc -ne 0 ]]; then
        echo "bench: failed (exit $rc); last server stderr:" >&3
        tail -n 20 "$TMP"/*.err 2>/dev/null >&3 || true
    fi
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

# ----------------------------------------------------------- prerequisites
command -v taskset >/dev/null || fail "taskset is missing (Debian package util-linux)"
command -v python3 >/dev/null || fail "python3 is missing"
if has node; then
    command -v node >/dev/null || fail "node is missing (Node.js 20 is expected on this machine)"
fi
if ! command -v wrk >/dev/null; then
    log "installing wrk"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq wrk >/dev/null
fi
[[ $(nproc) -ge 2 ]] || fail "needs 2 cores (servers on CPU 0, wrk on CPU 1)"
[[ $RUNS -ge 1 ]] || fail "RUNS must be at least 1"

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    if has engine && [[ $ENGINE_BUILD == 1 ]]; then
        log "cargo build --release"
        cargo build --release
    fi
    if has axum && [[ $AXUM_BUILD == 1 ]]; then
        log "cargo build --release --manifest-path bench/axum-hello/Cargo.toml"
        cargo build --release --locked --manifest-path "$BENCH_DIR/axum-hello/Cargo.toml"
    fi
fi
if has engine; then [[ -x "$BIN" ]] || fail "no engine binary at $BIN"; fi
if has axum; then [[ -x "$AXUM_BIN" ]] || fail "no bare axum binary at $AXUM_BIN"; fi

# --------------------------------------------------------- Bun and Deno
# A runtime counts only as a native executable that answers --version here:
# npm's bin entries can be Node.js wrappers, whose PID and RSS would be
# Node's, not the runtime's.
runs_here() {
    [[ -f "$1" && -x "$1" ]] || return 1
    [[ "$(LC_ALL=C head -c 4 "$1" | tail -c 3)" == ELF ]] || return 1
    timeout 30 "$1" --version >/dev/null 2>&1
}

# find_runtime NAME OVERRIDE: prints the path of a working binary, or nothing
find_runtime() {
    local name=$1 override=$2 cand
    if [[ -n "$override" ]]; then
        runs_here "$override" || fail "$name binary $override does not run here"
        echo "$override"; return 0
    fi
    cand=$(command -v "$name" 2>/dev/null || true)
    if [[ -n "$cand" ]]; then
        cand=$(readlink -f "$cand")
        if runs_here "$cand"; then echo "$cand"; return 0; fi
    fi
    # The platform packages (@oven/bun-linux-x64, @deno/linux-x64-glibc, ...)
    # carry the executables; the top-level packages only pick one.
    local pattern
    case $name in
        bun) pattern="$BENCH_CACHE/npm/node_modules/@oven/bun-linux-*/bin/bun" ;;
        deno) pattern="$BENCH_CACHE/npm/node_modules/@deno/linux-*/deno" ;;
    esac
    for cand in $pattern; do
        if runs_here "$cand"; then echo "$cand"; return 0; fi
    done
}

npm_install_runtimes() {
    command -v npm >/dev/null || { log "npm is missing; cannot install $*"; return 0; }
    log "npm install $* into $BENCH_CACHE/npm"
    mkdir -p "$BENCH_CACHE/npm"
    # --ignore-scripts: the binaries come in the platform packages npm picks
    # for this machine; nothing from the registry runs at install time.
    npm install --prefix "$BENCH_CACHE/npm" --no-audit --no-fund --ignore-scripts "$@" >&2 ||
        log "npm install failed; continuing without $*"
}

SKIPPED=()
BUN_BIN="" DENO_BIN=""
if has bun; then BUN_BIN=$(find_runtime bun "${BUN:-}"); fi
if has deno; then DENO_BIN=$(find_runtime deno "${DENO:-}"); fi
if [[ "${BENCH_INSTALL:-0}" == 1 ]]; then
    missing=()
    if has bun && [[ -z $BUN_BIN ]]; then missing+=(bun); fi
    if has deno && [[ -z $DENO_BIN ]]; then missing+=(deno); fi
    if [[ ${#missing[@]} -gt 0 ]]; then
        npm_install_runtimes "${missing[@]}"
        if has bun && [[ -z $BUN_BIN ]]; then BUN_BIN=$(find_runtime bun ""); fi
        if has deno && [[ -z $DENO_BIN ]]; then DENO_BIN=$(find_runtime deno ""); fi
    fi
fi
for rt in bun deno; do
    has "$rt" || continue
    bin_var="${rt^^}_BIN"
    if [[ -z "${!bin_var}" ]]; then
        note="${rt^} not found (PATH, $BENCH_CACHE); BENCH_INSTALL=1 installs it from npm"
        log "skipping $note"
        SKIPPED+=("$note")
        SERVERS=$(echo " $SERVERS " | sed "s/ $rt / /; s/^ *//; s/ *$//")
    fi
done
[[ -n "$SERVERS" ]] || fail "no server to measure (SERVERS is empty)"

# ------------------------------------------------------------------ helpers
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# CPU accounting, in clock ticks, to see whether anything else ran during a
# measurement: machine-wide busy time, and one process's user+system time
# (all its threads).
TICKS=$(getconf CLK_TCK)
machine_busy() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
proc_cpu() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12+$13}'; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# Percent of one core used by other processes over a window of $1 seconds.
other_load() {
    local b0 b1
    b0=$(machine_busy); sleep "$1"; b1=$(machine_busy)
    echo $(( (b1 - b0) * 100 / (TICKS * $1) ))
}

# Wait (up to IDLE_WAIT seconds) for the machine to be quiet before measuring.
wait_idle() {
    [[ $IDLE_WAIT -gt 0 ]] || return 0
    local waited=0 busy
    busy=$(other_load 2)
    while [[ $busy -gt 10 && $waited -lt $IDLE_WAIT ]]; do
        log "machine busy (${busy}% of a core used by other processes); waiting for it to be idle"
        sleep 8; waited=$((waited + 10))
        busy=$(other_load 2)
    done
    if [[ $busy -gt 10 ]]; then
        log "WARNING: machine still busy (${busy}% of a core); figures will be skewed"
    fi
}

# wait_listening PID FILE -> prints http://IP:PORT
wait_listening() {
    local pid=$1 file=$2 line
    for _ in $(seq 600); do
        line=$(grep -o -m1 'listening on http://[0-9.]*:[0-9]*' "$file" 2>/dev/null || true)
        if [[ -n "$line" ]]; then echo "${line#listening on }"; return 0; fi
        kill -0 "$pid" 2>/dev/null || fail "server (pid $pid) exited before listening; see above"
        sleep 0.05
    done
    fail "server (pid $pid) printed no 'listening on' line within 30 s"
}

stop_pid() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    local keep=()
    for p in "${PIDS[@]}"; do [[ "$p" == "$pid" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

declare -A PID URL IDLE LABEL
LABEL[engine]="aiwebengine"
LABEL[axum]="bare axum (no JS)"

# start NAME CMD...: start a server on CPU 0 and record its pid and address
start() {
    local name=$1; shift
    taskset -c 0 "$@" 127.0.0.1:0 >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null &
    PID[$name]=$!
    PIDS+=("${PID[$name]}")
    URL[$name]=$(wait_listening "${PID[$name]}" "$TMP/$name.out")
}

start_server() {
    case $1 in
        engine) start engine "$BIN" serve --data "$DATA" --https off --http ;;
        axum) start axum "$AXUM_BIN" ;;
        node) start node node "$BENCH_DIR/node_hello.js" ;;
        bun) start bun "$BUN_BIN" "$BENCH_DIR/fetch_hello.js" ;;
        deno) DENO_DIR="$BENCH_CACHE/deno-dir" DENO_NO_UPDATE_CHECK=1 \
                  start deno "$DENO_BIN" run --allow-net --no-prompt "$BENCH_DIR/fetch_hello.js" ;;
    esac
}

RESULTS="$TMP/results.tsv"
: >"$RESULTS"

# measure NAME ROUND C: one wrk run, redone while other processes disturb it;
# appends a TSV row (server round c wrk-json idle-kb after-kb other% cpu-ticks)
measure() {
    local name=$1 round=$2 c=$3 pid=${PID[$1]} url=${URL[$1]}
    local f="$TMP/wrk-$name-$round-$c" b0 s0 t0 b1 s1 t1 wrk_ticks other try=0
    log "round $round, $name: wrk -t1 -c$c -d$DURATION --latency"
    while :; do
        b0=$(machine_busy); s0=$(proc_cpu "$pid"); t0=$(now_ms)
        TIMEFORMAT='%3U %3S'
        { time taskset -c 1 wrk -t1 -c"$c" -d"$DURATION" --latency "$url/hello?name=bob" \
            >"$f.txt" 2>"$f.err"; } 2>"$f.time"
        b1=$(machine_busy); s1=$(proc_cpu "$pid"); t1=$(now_ms)
        wrk_ticks=$(awk -v t="$TICKS" '{printf "%d", ($1 + $2) * t}' "$f.time")
        # CPU used by anything but this server and wrk, in % of one core
        other=$(( (b1 - b0 - (s1 - s0) - wrk_ticks) * 100 * 1000 / (TICKS * (t1 - t0)) ))
        [[ $other -ge 0 ]] || other=0
        sed -n '/Requests\/sec/p;/ 50%/p;/ 99%/p;/errors/p;/Non-2xx/p' "$f.txt" >&2
        log "$name: server used $(( (s1 - s0) * 100 * 1000 / (TICKS * (t1 - t0)) ))% of a core; other processes ${other}%"
        try=$((try + 1))
        if [[ $other -le 10 || $try -gt $BUSY_RETRIES ]]; then break; fi
        log "$name: other processes disturbed this run; retry $try of $BUSY_RETRIES"
        wait_idle
    done
    sleep 0.5
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$c" \
        "$(python3 "$LIB" wrk "$f.txt")" "${IDLE[$name]}" "$(rss_kb "$pid")" "$other" \
        "$((s1 - s0))" >>"$RESULTS"
}

# ------------------------------------------------------------------- engine
COLD="$TMP/cold.json"
if has engine; then
    DATA="$TMP/data.redb"
    log "admin create $EMAIL"
    "$BIN" admin create "$EMAIL" --password "$PASSWORD" --data "$DATA"

    log "first start: deploy hello.js and $NSCRIPTS filler scripts"
    start_server engine
    log "engine pid ${PID[engine]} at ${URL[engine]}"
    python3 "$LIB" setup "${URL[engine]}" "$EMAIL" "$PASSWORD" "$NSCRIPTS"
    stop_pid "${PID[engine]}"

    if [[ "$COLD_RUNS" -gt 0 ]]; then
        wait_idle
        log "cold start: $COLD_RUNS restarts with $((NSCRIPTS + 1)) scripts stored"
        taskset -c 1 python3 "$LIB" coldstart "$BIN" "$DATA" "$COLD_RUNS" "$TMP/cold.pid" >"$COLD"
    fi
fi

# ------------------------------------------------------------------ servers
# All servers run side by side, idle on CPU 0 while another one is measured.
for s in $SERVERS; do
    start_server "$s"
    python3 "$LIB" check "${URL[$s]}"
    sleep 0.5
    IDLE[$s]=$(rss_kb "${PID[$s]}")
    log "$s: pid ${PID[$s]} at ${URL[$s]}, idle RSS $((IDLE[$s] / 1024)) MB"
done
for s in $SERVERS; do
    log "$s: warm-up $WARMUP"
    taskset -c 1 wrk -t1 -c32 -d"$WARMUP" "${URL[$s]}/hello?name=bob" >/dev/null
done

# Interleaved: every round measures each connection count on every server in
# turn, so slow drift on a shared machine hits all servers alike.
for round in $(seq "$RUNS"); do
    wait_idle
    for c in $CONNS; do
        for s in $SERVERS; do measure "$s" "$round" "$c"; done
    done
done
for s in $SERVERS; do python3 "$LIB" check "${URL[$s]}"; done
for s in $SERVERS; do stop_pid "${PID[$s]}"; done

# ------------------------------------------------------------------- report
version() { "$@" 2>/dev/null | head -n1 || echo unknown; }
if has node; then LABEL[node]="Node.js $(version node --version) http"; fi
if has bun; then LABEL[bun]="Bun $(version "$BUN_BIN" --version)"; fi
if has deno; then LABEL[deno]="Deno $(version "$DENO_BIN" --version | awk '{print $2}')"; fi
labels=()
for s in $SERVERS; do labels+=("$s=${LABEL[$s]}"); done
dirty=""
if git -C "$ROOT" status --porcelain 2>/dev/null | grep -q .; then dirty=" (dirty)"; fi

python3 "$LIB" meta "$TMP/meta.json" \
    date="$(date -u '+%Y-%m-%d %H:%M UTC')" \
    command="$COMMAND" \
    commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty" \
    engine_version="$(if has engine; then version "$BIN" --version; else echo 'not measured'; fi)" \
    engine_bin="$BIN" \
    wrk_version="$(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}')" \
    cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)" \
    cores="$(nproc)" duration="$DURATION" warmup="$WARMUP" runs="$RUNS" \
    nscripts="$NSCRIPTS" ticks="$TICKS" servers="$SERVERS" \
    labels="$(printf '%s\n' "${labels[@]}")" \
    skipped="$(printf '%s\n' "${SKIPPED[@]}")"
echo
python3 "$LIB" report "$RESULTS" "$COLD" "$TMP/meta.json" "$OUT"
echo
log "written to ${OUT#"$ROOT"/}"
