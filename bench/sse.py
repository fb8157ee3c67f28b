#!/usr/bin/env python3
"""SSE fan-out benchmark (issue 7 section 4): N idle EventSource-style
clients on one stream; reports RSS per idle connection and the time from
one sendStreamMessageToPath until every client has the message.

Usage: python3 bench/sse.py [--clients 10000] [--sends 5]
Starts the release binary (or $BIN) pinned to CPU 0 and runs the clients (asyncio,
raw HTTP/1.1) pinned to CPU 1. Standard library only.
"""
import argparse, asyncio, json, os, re, resource, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/aiwebengine-target")
BIN = os.environ.get("BIN") or os.path.join(TARGET, "release", "aiwebengine")
EMAIL, PASSWORD = "bench@example.com", "benchpassword1"
SCRIPT = """registerWebStream("/bench/stream");
register("/bench/send", (req) => { sendStreamMessageToPath("/bench/stream", "n=" + req.query.n); return "ok"; }, "POST");
"""
NOPROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(method, url, body=None, token=None):
    req = urllib.request.Request(url, data=body, method=method)
    if token:
        req.add_header("authorization", "Bearer " + token)
    if body is not None and token is None:
        req.add_header("content-type", "application/json")
    with NOPROXY.open(req, timeout=30) as r:
        return r.read()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


async def client(host, port, ready, arrivals, index):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /bench/stream HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    await reader.readuntil(b"\r\n\r\n")  # response head
    buf = b""
    connected = False
    while True:
        chunk = await reader.read(4096)
        if not chunk:
            return
        buf += chunk
        if not connected and b": connected" in buf:
            connected = True
            ready.release()
        for m in re.finditer(rb"data: n=(\d+)", buf):
            arrivals.setdefault(int(m.group(1)), []).append(time.perf_counter())
        buf = buf[buf.rfind(b"\n") + 1 :] if b"\n" in buf else buf


async def run(args, port, token, pid):
    ready = asyncio.Semaphore(0)
    arrivals = {}
    base_rss = rss_kb(pid)
    tasks = []
    for i in range(args.clients):
        tasks.append(asyncio.create_task(client("127.0.0.1", port, ready, arrivals, i)))
        if i % 500 == 499:
            await asyncio.sleep(0)  # let connections progress
    for _ in range(args.clients):
        await asyncio.wait_for(ready.acquire(), 60)
    await asyncio.sleep(1)
    idle_rss = rss_kb(pid)
    url = f"http://127.0.0.1:{port}/bench/send?n="
    times = []
    for n in range(args.sends):
        t0 = time.perf_counter()
        await asyncio.get_running_loop().run_in_executor(None, call, "POST", url + str(n), b"")
        deadline = time.time() + 30
        while len(arrivals.get(n, [])) < args.clients:
            if time.time() > deadline:
                raise SystemExit(f"only {len(arrivals.get(n, []))} of {args.clients} clients got message {n}")
            await asyncio.sleep(0.005)
        times.append(max(arrivals[n]) - t0)
        await asyncio.sleep(0.5)
    for t in tasks:
        t.cancel()
    return base_rss, idle_rss, times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=10000)
    ap.add_argument("--sends", type=int, default=5)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.clients + 100:
        sys.exit(f"the open-file hard limit ({hard}) is below {args.clients} clients")
    os.sched_setaffinity(0, {1})
    tmp = tempfile.mkdtemp(prefix="aiwebengine-sse-")
    data = os.path.join(tmp, "data.redb")
    subprocess.run([BIN, "admin", "create", EMAIL, "--password", PASSWORD, "--data", data], check=True, capture_output=True)
    # Room for the clients plus the control requests (the default limit is 10,000).
    env = dict(os.environ, AIWEBENGINE_SERVER__MAX_CONNECTIONS=str(args.clients + 100))
    proc = subprocess.Popen(["taskset", "-c", "0", BIN, "serve", "--data", data, "--http", "127.0.0.1:0", "--https", "off"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        line = ""
        while "listening on http://" not in line:
            line = proc.stdout.readline()
            if not line:
                sys.exit("server exited before listening")
        port = int(line.strip().rsplit(":", 1)[1])
        base = f"http://127.0.0.1:{port}"
        token = json.loads(call("POST", base + "/engine/auth/login", json.dumps({"email": EMAIL, "password": PASSWORD}).encode()))["token"]
        call("PUT", base + "/engine/api/scripts/bench-sse.js", SCRIPT.encode(), token)
        base_rss, idle_rss, times = asyncio.run(run(args, port, token, proc.pid))
        per_conn = (idle_rss - base_rss) / args.clients
        med = statistics.median(times)
        report = (
            f"| clients | RSS before | RSS with clients idle | RSS per idle connection | send → all received (median of {args.sends}) | max |\n"
            "|---:|---:|---:|---:|---:|---:|\n"
            f"| {args.clients} | {base_rss/1024:.1f} MB | {idle_rss/1024:.1f} MB | {per_conn:.1f} KB | {med*1000:.0f} ms | {max(times)*1000:.0f} ms |\n"
        )
        print(report)
        out = os.path.join(ROOT, "bench", "results", "sse.md")
        with open(out, "w") as f:
            f.write(f"# SSE fan-out ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n\n"
                    f"Command: `python3 bench/sse.py --clients {args.clients}` · server pinned to CPU 0, clients (Python asyncio) to CPU 1.\n"
                    "The time includes the Python clients parsing every message, so it is an upper bound.\n\n" + report)
    finally:
        proc.terminate()
        proc.wait(15)


if __name__ == "__main__":
    main()
