#!/usr/bin/env python3
"""Helpers for bench/run.sh (Python 3 standard library only).

Subcommands:
  setup BASE EMAIL PASSWORD NSCRIPTS   log in, deploy hello.js and NSCRIPTS
                                       filler scripts, check GET /hello
  check BASE                           GET /hello?name=bob must be "Hello bob"
  coldstart BIN DATA RUNS PIDFILE      restart the engine RUNS times and time
                                       spawn -> first served /hello; prints JSON
  wrk FILE                             parse `wrk --latency` output; prints JSON
  meta OUT_JSON KEY=VALUE...           write the run's metadata for `report`
  report RESULTS_TSV COLD_JSON META_JSON OUT_MD
                                       render the markdown report: one table,
                                       medians over the interleaved rounds
"""

import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HELLO_JS = (
    'function hello(req){ return "Hello " + req.query.name; } '
    'register("/hello", hello, "GET");\n'
    # The same answer from a request header, for the cost of reading
    # req.headers (bench/callgrind-hello.sh with ROUTE=header).
    'register("/hello-header", (req) => "Hello " + req.headers["x-name"], "GET");\n'
)
# With BENCH_GRAPHQL=1 in the environment, `setup` also deploys this
# (bench/callgrind-hello.sh with ROUTE=graphql; bench/graphql.sh's resolver).
GRAPHQL_JS = (
    'registerGraphQLQuery("hello", "hello(name: String): String", '
    '(args) => "Hello " + args.name);\n'
)

# Talk to loopback directly, whatever *_proxy variables say.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

LISTEN_RE = re.compile(r"listening on http://(\S+?):(\d+)")


def die(msg):
    print(f"bench: {msg}", file=sys.stderr)
    sys.exit(1)


def request(method, url, body=None, headers=None, timeout=10):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def filler_script(i):
    """A script of realistic size (~1.5 KB) with three routes."""
    n = f"{i:03d}"
    return f"""// bench filler script {n}: stored so that cold start loads a realistic set
let hits{n} = 0;
const config{n} = {{ name: "bench-{n}", tags: ["a", "b", "c"], limits: {{ page: 20, max: 100 }} }};

function clamp{n}(v, lo, hi) {{ return Math.max(lo, Math.min(hi, v)); }}

function pageOf{n}(req) {{
  const page = parseInt(req.query.page || "1", 10);
  const size = clamp{n}(parseInt(req.query.size || String(config{n}.limits.page), 10), 1, config{n}.limits.max);
  return {{ page: isNaN(page) ? 1 : page, size: isNaN(size) ? config{n}.limits.page : size }};
}}

function list{n}(req) {{
  hits{n}++;
  const p = pageOf{n}(req);
  const items = [];
  for (let k = 0; k < p.size; k++) {{ items.push({{ id: (p.page - 1) * p.size + k, name: config{n}.name + "-" + k }}); }}
  return {{ status: 200, body: {{ script: config{n}.name, hits: hits{n}, items: items }} }};
}}

function item{n}(req) {{
  return {{ status: 200, body: {{ id: req.params.id, script: config{n}.name }} }};
}}

function create{n}(req) {{
  const data = req.json || {{}};
  if (!data.name) {{ return {{ status: 400, body: {{ error: "name is required" }} }}; }}
  return {{ status: 201, body: {{ created: data.name, by: config{n}.name }} }};
}}

register("/bench/{n}/items", list{n}, "GET");
register("/bench/{n}/items/:id", item{n}, "GET");
register("/bench/{n}/items", create{n}, "POST");
"""


def get_hello(base, timeout=5):
    status, body = request("GET", base + "/hello?name=bob", timeout=timeout)
    return status, body.decode("utf-8", "replace")


def cmd_setup(base, email, password, nscripts):
    nscripts = int(nscripts)
    status, body = request(
        "POST",
        base + "/engine/auth/login",
        json.dumps({"email": email, "password": password}).encode(),
        {"Content-Type": "application/json"},
    )
    if status != 200:
        die(f"login failed: POST /engine/auth/login -> HTTP {status}: {body[:300]!r}")
    try:
        token = json.loads(body)["token"]
    except (ValueError, KeyError) as e:
        die(f"login answer has no token ({e}): {body[:300]!r}")
    auth = {"Authorization": "Bearer " + token, "Content-Type": "application/javascript"}

    def put(name, src):
        st, b = request("PUT", f"{base}/engine/api/scripts/{name}", src.encode(), auth)
        if st not in (200, 201):
            die(f"deploy failed: PUT /engine/api/scripts/{name} -> HTTP {st}: {b[:300]!r}")

    t0 = time.perf_counter()
    put("hello.js", HELLO_JS)
    if os.environ.get("BENCH_GRAPHQL") == "1":
        put("graphql.js", GRAPHQL_JS)
    for i in range(nscripts):
        put(f"bench-{i:03d}.js", filler_script(i))
    dt = time.perf_counter() - t0
    print(f"deployed hello.js + {nscripts} scripts in {dt:.2f} s", file=sys.stderr)
    cmd_check(base)


def cmd_check(base):
    status, text = get_hello(base)
    if status != 200 or text != "Hello bob":
        die(f"GET /hello?name=bob -> HTTP {status} {text[:200]!r}, expected 200 'Hello bob'")
    print(f"GET {base}/hello?name=bob -> {text!r}", file=sys.stderr)


def stop(proc, timeout=15):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cmd_coldstart(binary, data, runs, pidfile):
    runs = int(runs)
    results = []
    for r in range(runs):
        errf = open(os.path.join(os.path.dirname(pidfile), f"cold-{r}.err"), "wb")
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            ["taskset", "-c", "0", binary, "serve", "--data", data,
             "--http", "127.0.0.1:0", "--https", "off"],
            stdout=subprocess.PIPE, stderr=errf, stdin=subprocess.DEVNULL,
        )
        with open(pidfile, "w") as f:
            f.write(str(proc.pid))
        addr = {}
        got = threading.Event()

        def drain(p=proc, a=addr, ev=got):
            for raw in p.stdout:
                if not ev.is_set():
                    m = LISTEN_RE.search(raw.decode("utf-8", "replace"))
                    if m:
                        a["t"] = time.perf_counter()
                        a["host"], a["port"] = m.group(1), int(m.group(2))
                        ev.set()
            ev.set()

        threading.Thread(target=drain, daemon=True).start()
        try:
            if not got.wait(30) or "port" not in addr:
                die(f"cold start run {r}: no 'listening on' line (exit {proc.poll()}); see {errf.name}")
            t_listen = addr["t"]
            deadline = time.perf_counter() + 30
            attempts = 0
            while True:
                attempts += 1
                try:
                    c = http.client.HTTPConnection(addr["host"], addr["port"], timeout=5)
                    c.request("GET", "/hello?name=bob")
                    resp = c.getresponse()
                    body = resp.read()
                    c.close()
                    if resp.status == 200 and body == b"Hello bob":
                        t_served = time.perf_counter()
                        break
                except OSError:
                    pass
                if time.perf_counter() > deadline:
                    die(f"cold start run {r}: /hello never answered 'Hello bob'")
                if proc.poll() is not None:
                    die(f"cold start run {r}: engine exited with {proc.returncode}")
                time.sleep(0.0005)
            results.append({
                "listening_ms": (t_listen - t0) * 1000.0,
                "first_request_ms": (t_served - t0) * 1000.0,
                "attempts": attempts,
            })
            print(f"cold start {r + 1}/{runs}: listening after {results[-1]['listening_ms']:.1f} ms, "
                  f"first 'Hello bob' after {results[-1]['first_request_ms']:.1f} ms", file=sys.stderr)
        finally:
            stop(proc)
            errf.close()
            try:
                os.unlink(pidfile)
            except OSError:
                pass
    firsts = [x["first_request_ms"] for x in results]
    listens = [x["listening_ms"] for x in results]
    print(json.dumps({
        "runs": results,
        "median_first_request_ms": statistics.median(firsts),
        "median_listening_ms": statistics.median(listens),
        "min_first_request_ms": min(firsts),
        "max_first_request_ms": max(firsts),
    }))


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def to_ms(v):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", v)
    if not m:
        raise ValueError(f"bad latency {v!r}")
    return float(m.group(1)) * UNIT_MS[m.group(2)]


def parse_wrk(text):
    out = {"rps": None, "p50_ms": None, "p99_ms": None, "errors": 0, "requests": None}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", text)
    if m:
        out["requests"] = int(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(r"^\s*" + pct + r"%\s+(\S+)", text, re.M)
        if m:
            out[key] = to_ms(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["errors"] += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        out["errors"] += int(m.group(1))
    if out["rps"] is None or out["p99_ms"] is None:
        raise ValueError("could not parse wrk output:\n" + text)
    return out


def cmd_wrk(path):
    with open(path) as f:
        print(json.dumps(parse_wrk(f.read())))


def fmt_ms(v):
    return "—" if v is None else (f"{v * 1000:.0f} µs" if v < 1 else f"{v:.2f} ms")


def fmt_mb(kb):
    return "—" if kb in (None, "") else f"{int(kb) / 1024:.1f} MB"


def cmd_meta(out_json, *pairs):
    """KEY=VALUE pairs to JSON; `labels` (NAME=LABEL lines) and `skipped`
    (lines) become a dict and a list, `servers` a list."""
    meta = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        meta[key] = value
    def lines(v):
        return [x for x in v.splitlines() if x.strip()]

    meta["labels"] = dict(x.split("=", 1) for x in lines(meta.get("labels", "")))
    meta["skipped"] = lines(meta.get("skipped", ""))
    meta["servers"] = meta.get("servers", "").split()
    for key in ("nscripts", "ticks", "runs"):
        meta[key] = int(meta[key])
    with open(out_json, "w") as f:
        json.dump(meta, f)


def read_results(results_tsv, ticks):
    """One dict per wrk run, with the server CPU per request in µs."""
    rows = []
    with open(results_tsv) as f:
        for line in f:
            if not line.strip():
                continue
            server, rnd, conns, wrk_json, idle_kb, after_kb, other, cpu = line.rstrip("\n").split("\t")
            w = json.loads(wrk_json)
            cpu_us = int(cpu) / ticks * 1e6 / w["requests"] if w["requests"] else None
            rows.append({"server": server, "round": int(rnd), "c": int(conns), **w,
                         "idle_kb": int(idle_kb), "after_kb": int(after_kb),
                         "other": int(other), "cpu_us": cpu_us})
    return rows


def median_of(runs, key):
    vals = [r[key] for r in runs if r[key] is not None]
    return statistics.median(vals) if vals else None


def summarize(rows, servers):
    """Per (server, connections): medians over the rounds, and the median of
    the per-round ratios to bare axum and to Node.js (each ratio pairs runs
    of the same round, minutes apart, so slow drift cancels)."""
    by = {}
    for r in rows:
        by.setdefault((r["server"], r["c"]), []).append(r)
    out = []
    for c in sorted({r["c"] for r in rows}):
        for s in servers:
            runs = by.get((s, c))
            if not runs:
                continue
            rps = [r["rps"] for r in runs]
            med = statistics.median(rps)
            row = {"server": s, "c": c, "rps": med, "runs": len(runs),
                   "p50_ms": median_of(runs, "p50_ms"), "p99_ms": median_of(runs, "p99_ms"),
                   "cpu_us": median_of(runs, "cpu_us"),
                   "after_kb": max(r["after_kb"] for r in runs), "idle_kb": runs[0]["idle_kb"],
                   "errors": sum(r["errors"] for r in runs), "other": max(r["other"] for r in runs),
                   "spread": (max(rps) - min(rps)) / med if len(rps) > 1 and med else None}
            for base in ("axum", "node"):
                base_rps = {r["round"]: r["rps"] for r in by.get((base, c), [])}
                ratios = [r["rps"] / base_rps[r["round"]] for r in runs if base_rps.get(r["round"])]
                row["x_" + base] = statistics.median(ratios) if ratios else None
            out.append(row)
    return out


def fmt_x(v):
    return "—" if v is None else f"{v:.2f}×"


def fmt_us(v):
    return "—" if v is None else f"{v:.1f} µs"


def report_targets(summary, cold, meta):
    """Issue 14's targets that this benchmark measures, and issue 3's still in force."""
    eng = {r["c"]: r for r in summary if r["server"] == "engine"}
    checks = []

    def add(name, value, limit, fmt, at_least=False):
        if value is not None:
            checks.append((name, fmt(value), value >= limit if at_least else value <= limit))

    for c in (32, 256):
        e = eng.get(c, {})
        add(f"hello ≥ 0.6× bare axum at c={c} (issue 14)", e.get("x_axum"), 0.6, fmt_x, True)
    add("p99 ≤ 1 ms at c=32 (issue 14)", eng.get(32, {}).get("p99_ms"), 1.0, fmt_ms)
    add("p99 ≤ 5 ms at c=256 (issue 14)", eng.get(256, {}).get("p99_ms"), 5.0, fmt_ms)
    add("server CPU ≤ 9 µs per request at c=32 (issue 14)", eng.get(32, {}).get("cpu_us"), 9.0, fmt_us)
    add("hello ≥ 1.0× Node.js at c=32 (issue 3)", eng.get(32, {}).get("x_node"), 1.0, fmt_x, True)
    if eng:
        idle = max(r["idle_kb"] for r in eng.values())
        add("idle RSS ≤ 25 MB (issue 14)", idle, 25 * 1024, fmt_mb)
        after = max(r["after_kb"] for r in eng.values())
        add("RSS ≤ 100 MB after load (issue 3)", after, 100 * 1024, fmt_mb)
    if cold:
        add(f"cold start ≤ 50 ms with {meta['nscripts']} scripts (issue 14)",
            cold["median_first_request_ms"], 50.0, lambda v: f"{v:.1f} ms")
    return [f"- {name}: {val} — {'met' if ok else '**missed**'}" for name, val, ok in checks]


def cmd_report(results_tsv, cold_json, meta_json, out_md):
    with open(meta_json) as f:
        meta = json.load(f)
    rows = read_results(results_tsv, meta["ticks"])
    summary = summarize(rows, meta["servers"])
    cold = None
    if cold_json and os.path.exists(cold_json) and os.path.getsize(cold_json) > 0:
        with open(cold_json) as f:
            cold = json.load(f)

    lines = [f"# Benchmark results ({meta['date']})", ""]
    lines.append(f"Command: `{meta['command']}`  ")
    lines.append(f"Commit: `{meta['commit']}` · engine: `{meta['engine_version']}` "
                 f"(`{meta['engine_bin']}`) · {meta['wrk_version']}  ")
    lines.append(f"Machine: {meta['cpu']}, {meta['cores']} cores · servers pinned to CPU 0, "
                 f"`wrk -t1` pinned to CPU 1 · {meta['runs']} interleaved round(s) of "
                 f"{meta['duration']} per server and connection count (after a {meta['warmup']} "
                 f"warm-up) · {meta['nscripts']} filler scripts stored besides hello.js")
    lines.append("")
    lines.append(f"`GET /hello?name=bob` → `Hello bob`; medians of {meta['runs']} run(s)")
    lines.append("")
    lines.append("| server | connections | req/s | p50 | p99 | server CPU per request | RSS after load "
                 "| idle RSS | × bare axum | × Node.js | req/s spread | errors | other CPU |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in summary:
        name = meta["labels"].get(r["server"], r["server"])
        if r["server"] == "engine":
            name = f"**{name}**"
        spread = "—" if r["spread"] is None else f"{r['spread'] * 100:.0f}%"
        lines.append(f"| {name} | {r['c']} | {r['rps']:,.0f} | {fmt_ms(r['p50_ms'])} | "
                     f"{fmt_ms(r['p99_ms'])} | {fmt_us(r['cpu_us'])} | {fmt_mb(r['after_kb'])} | "
                     f"{fmt_mb(r['idle_kb'])} | {fmt_x(r['x_axum'])} | {fmt_x(r['x_node'])} | "
                     f"{spread} | {r['errors']} | {r['other']}% |")
    lines.append("")
    lines.append("_Ratios are medians of per-round ratios (runs of the same round, minutes apart). "
                 "Server CPU per request: user+system time of all the server's threads "
                 "(`/proc/PID/stat`, 10 ms ticks) over the run, divided by the requests served. "
                 "RSS after load: largest over the rounds. Spread: (max − min) / median req/s. "
                 "Other CPU: the most, over the rounds, of one core used by processes other than "
                 "the server and wrk (the machine was busy when it is above a few percent)._")
    busy = [r for r in rows if r["other"] > 10]
    if busy:
        lines.append("")
        lines.append(f"**Warning: other processes used CPU during {len(busy)} of {len(rows)} runs; "
                     "those figures are skewed.**")
    for note in meta["skipped"]:
        lines.append("")
        lines.append(f"Not measured: {note}.")
    lines.append("")
    if cold:
        runs = ", ".join(f"{x['first_request_ms']:.0f}" for x in cold["runs"])
        lines.append(f"Cold start (spawn → first `Hello bob`, {meta['nscripts'] + 1} scripts stored): "
                     f"**median {cold['median_first_request_ms']:.1f} ms** over {len(cold['runs'])} restarts "
                     f"(runs: {runs} ms; median time to the `listening on` line: "
                     f"{cold['median_listening_ms']:.1f} ms)")
        lines.append("")
    targets = report_targets(summary, cold, meta)
    if targets:
        lines.append("Targets:")
        lines.append("")
        lines.extend(targets)
        lines.append("")
    text = "\n".join(lines)
    os.makedirs(os.path.dirname(out_md) or ".", exist_ok=True)
    with open(out_md, "w") as f:
        f.write(text)
    print(text)


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    fns = {"setup": cmd_setup, "check": cmd_check, "coldstart": cmd_coldstart,
           "wrk": cmd_wrk, "meta": cmd_meta, "report": cmd_report}
    if cmd not in fns:
        die(f"unknown subcommand {cmd!r}\n{__doc__}")
    fns[cmd](*args)


if __name__ == "__main__":
    main()
