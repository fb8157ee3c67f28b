"""Mixed-load driver for bench/soak.sh; see there. Exits 1 on any error,
any missed SSE delivery, RSS growth over 10% after warm-up (minute 2 on),
a failed backup verify, or unbounded file growth."""
import json, os, selectors, socket, subprocess, tempfile, threading, time, urllib.request

URL, PID, DATA, BIN = os.environ["URL"], os.environ["PID"], os.environ["DATA"], os.environ["BIN"]
DURATION = int(os.environ["DURATION"])
SSE_CLIENTS = int(os.environ.get("SSE_CLIENTS", "1000"))
SCRIPT = """
register("/soak/page", () => "<h1>page</h1>");
register("/soak/write", async (req) => { await kv.set(["soak", Number(req.query.i) % 5000], "v".repeat(200)); return "ok"; }, "POST");
register("/soak/read", async (req) => String((await kv.get(["soak", Number(req.query.i) % 5000])).value ?? "none"));
registerWebStream("/soak/events");
register("/soak/tick", () => { sendStreamMessageToPath("/soak/events", "tick"); return "ok"; }, "POST");
registerGraphQLQuery("soakItem", "type Query { soakItem(i: Int!): Item } type Item { i: Int name: String }",
  (args) => ({ i: args.i, name: "item" + args.i }));
"""

def call(method, path, body=None, token=None, timeout=10):
    req = urllib.request.Request(URL + path, data=body, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if path == "/graphql":
        req.add_header("Content-Type", "application/json")
    elif path.startswith("/engine/api/assets/"):
        req.add_header("Content-Type", "text/plain")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read()

login = json.dumps({"email": "soak@example.com", "password": "soakpassword1"}).encode()
TOKEN = json.loads(call("POST", "/engine/auth/login", login))["token"]
def deploy(n):
    call("PUT", "/engine/api/scripts/soak.js", (SCRIPT + f"// v{n}\n").encode(), TOKEN)
deploy(0)

lock = threading.Lock()
lat, errors, stop = [], [0], time.time() + DURATION
counts = {"ticks": 0, "saves": 0, "uploads": 0, "backups": 0}

def timed(fn):
    """Runs one request, records its latency or counts (and shows) its error."""
    t = time.perf_counter()
    try:
        fn()
        with lock:
            lat.append(time.perf_counter() - t)
        return True
    except Exception as e:  # counted and shown, never hidden
        with lock:
            errors[0] += 1
        print("error:", e, flush=True)
        return False

def client(kind):
    i = 0
    gql = lambda i: json.dumps({"query": "query($i: Int!) { soakItem(i: $i) { i name } }", "variables": {"i": i}}).encode()
    while time.time() < stop:
        i += 1
        if kind == "write":
            timed(lambda: call("POST", f"/soak/write?i={i}", b""))
        elif kind == "graphql":
            def q():
                r = json.loads(call("POST", "/graphql", gql(i)))
                assert r.get("data", {}).get("soakItem", {}).get("i") == i, f"graphql answer {r}"
            timed(q)
        else:
            timed(lambda: call("GET", f"/soak/{kind}?i={i}"))

def every(seconds, name, fn):
    n, nxt = 0, time.time()
    while time.time() < stop:
        n += 1
        if timed(lambda: fn(n)):
            with lock:
                counts[name] += 1
        nxt += seconds
        time.sleep(max(0, min(nxt, stop) - time.time()))

def backup(n):
    with tempfile.NamedTemporaryFile(suffix=".redb", dir=os.path.dirname(DATA)) as f:
        f.write(call("GET", "/engine/api/backup", token=TOKEN, timeout=60))
        f.flush()
        subprocess.run([BIN, "verify", f.name], check=True, capture_output=True)

# SSE: raw sockets on one selector thread, counting `data: tick` lines.
delivered = [0]
def sse_reader(socks):
    sel = selectors.DefaultSelector()
    tails = {}
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
        tails[s] = b""
    while time.time() < stop + 3:
        for key, _ in sel.select(timeout=0.5):
            data = key.fileobj.recv(65536)
            if not data:
                with lock:
                    errors[0] += 1
                print("error: an SSE connection was closed", flush=True)
                sel.unregister(key.fileobj)
                continue
            buf = tails[key.fileobj] + data
            with lock:
                delivered[0] += buf.count(b"data: tick")
            tails[key.fileobj] = buf[-9:]
socks = []
for _ in range(SSE_CLIENTS):
    s = socket.create_connection((URL.split("//")[1].split(":")[0], int(URL.rsplit(":", 1)[1])))
    s.sendall(b"GET /soak/events HTTP/1.1\r\nHost: soak\r\n\r\n")
    socks.append(s)
for _ in range(100):
    streams = json.loads(call("GET", "/engine/api/streams", token=TOKEN))["streams"]
    if streams and streams[0]["connections"] == SSE_CLIENTS:
        break
    time.sleep(0.1)
else:
    raise SystemExit(f"only {streams} SSE clients connected")

threads = [threading.Thread(target=client, args=(k,)) for k in ("page", "page", "write", "read", "graphql")]
threads += [threading.Thread(target=sse_reader, args=(socks,))]
threads += [threading.Thread(target=every, args=a) for a in (
    (1, "ticks", lambda n: call("POST", "/soak/tick", b"")),
    (1, "saves", lambda n: deploy(n)),
    (5, "uploads", lambda n: call("PUT", f"/engine/api/assets/soak/a{n % 10}.txt", os.urandom(32768).hex().encode(), TOKEN)),
    (60, "backups", backup),
)]
for th in threads:
    th.start()
print(f"{SSE_CLIENTS} SSE clients connected")
print("minute  requests  errors  p99_ms  rss_mb  file_mb  ticks  sse_delivered  saves  uploads  backups")
n, total, total_err, rows = 0, 0, 0, []
last = dict(counts, delivered=0)
while time.time() < stop:
    time.sleep(min(60, max(0, stop - time.time())))
    n += 1
    with lock:
        window, lat[:] = sorted(lat), []
        err, errors[0] = errors[0], 0
        now = dict(counts, delivered=delivered[0])
    d = {k: now[k] - last[k] for k in now}
    last = now
    rss = int([l for l in open(f"/proc/{PID}/status") if l.startswith("VmRSS")][0].split()[1]) / 1024
    size = os.path.getsize(DATA) / 1e6
    p99 = window[int(len(window) * 0.99) - 1] * 1000 if window else float("nan")
    total, total_err = total + len(window), total_err + err
    rows.append((rss, size))
    print(f"{n:6d}  {len(window):8d}  {err:6d}  {p99:6.1f}  {rss:6.1f}  {size:7.1f}  {d['ticks']:5d}  {d['delivered']:13d}"
          f"  {d['saves']:5d}  {d['uploads']:7d}  {d['backups']:7d}", flush=True)
for th in threads:
    th.join()
with lock:
    total_err += errors[0]
expected = counts["ticks"] * SSE_CLIENTS
missed = expected - delivered[0]
print(f"total {total} requests, {total_err} errors; SSE: {counts['ticks']} broadcasts x {SSE_CLIENTS} clients = "
      f"{expected} expected, {delivered[0]} delivered, {missed} missed; {counts['saves']} script saves, "
      f"{counts['uploads']} uploads, {counts['backups']} backups verified")
fail = []
if total_err:
    fail.append(f"{total_err} errors")
if missed:
    fail.append(f"{missed} SSE deliveries missed")
if len(rows) >= 3:
    base = rows[1][0]
    worst = max(r[0] for r in rows[1:])
    print(f"RSS after warm-up: minute 2 {base:.1f} MB, highest {worst:.1f} MB ({(worst / base - 1) * 100:+.1f}%)")
    if worst > base * 1.10:
        fail.append(f"RSS grew {(worst / base - 1) * 100:.1f}% after minute 2 (limit 10%)")
    grow = rows[-1][1] - rows[1][1]
    print(f"file: minute 2 {rows[1][1]:.1f} MB, end {rows[-1][1]:.1f} MB")
    if grow > max(rows[1][1], 20.0):
        fail.append(f"data file grew {grow:.1f} MB after minute 2 (limit: its minute-2 size or 20 MB)")
if fail:
    print("FAILED:", "; ".join(fail))
raise SystemExit(1 if fail else 0)
