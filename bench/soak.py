"""Mixed-load driver for bench/soak.sh; see there. Exits 1 on any error."""
import json, os, threading, time, urllib.request

URL, PID, DATA = os.environ["URL"], os.environ["PID"], os.environ["DATA"]
DURATION = int(os.environ["DURATION"])
SCRIPT = """
register("/soak/page", () => "<h1>page</h1>");
register("/soak/write", async (req) => { await kv.set(["soak", Number(req.query.i) % 5000], "v".repeat(200)); return "ok"; }, "POST");
register("/soak/read", async (req) => String((await kv.get(["soak", Number(req.query.i) % 5000])).value ?? "none"));
"""

def call(method, path, body=None, token=None):
    req = urllib.request.Request(URL + path, data=body, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()

login = json.dumps({"email": "soak@example.com", "password": "soakpassword1"}).encode()
TOKEN = json.loads(call("POST", "/engine/auth/login", login))["token"]
def deploy(n):
    call("PUT", "/engine/api/scripts/soak.js", (SCRIPT + f"// v{n}\n").encode(), TOKEN)
deploy(0)

lock = threading.Lock()
lat, errors, stop = [], [0], time.time() + DURATION

def client(kind):
    i = 0
    while time.time() < stop:
        i += 1
        t = time.perf_counter()
        try:
            if kind == "write":
                call("POST", f"/soak/write?i={i}", b"")
            else:
                call("GET", f"/soak/{kind}?i={i}")
            with lock:
                lat.append(time.perf_counter() - t)
        except Exception as e:  # counted and shown, never hidden
            with lock:
                errors[0] += 1
            print("error:", kind, e)

threads = [threading.Thread(target=client, args=(k,)) for k in ("page", "page", "write", "read")]
for th in threads:
    th.start()
print("minute  requests  errors  p99_ms  rss_mb  file_mb")
n, total, total_err = 0, 0, 0
while time.time() < stop:
    time.sleep(min(60, max(0, stop - time.time())))
    n += 1
    deploy(n)
    with lock:
        window, lat[:] = sorted(lat), []
        err, errors[0] = errors[0], 0
    rss = int([l for l in open(f"/proc/{PID}/status") if l.startswith("VmRSS")][0].split()[1]) / 1024
    p99 = window[int(len(window) * 0.99) - 1] * 1000 if window else float("nan")
    total, total_err = total + len(window), total_err + err
    print(f"{n:6d}  {len(window):8d}  {err:6d}  {p99:6.1f}  {rss:6.1f}  {os.path.getsize(DATA) / 1e6:7.1f}", flush=True)
for th in threads:
    th.join()
print(f"total {total} requests, {total_err} errors")
raise SystemExit(1 if total_err else 0)
