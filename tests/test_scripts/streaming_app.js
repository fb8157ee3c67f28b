// Streamed response bodies, WHATWG Responses and large uploads
// (tests/streaming.rs: REQ-HTTP-003, REQ-HTTP-008, REQ-JSAPI-007).

async function* counter(n) {
  for (let i = 0; i < n; i++) {
    yield "chunk " + i + "\n";
    await sleep(1);
  }
}
register("/stream/count", (req) => ({
  contentType: "text/plain; charset=utf-8",
  body: counter(Number(req.query.n || 1000)),
}));

// Yields once, then waits for POST /stream/release (kv: any worker sees it).
async function* gated() {
  yield "first\n";
  while (!(await kv.get(["release"])).value) await sleep(10);
  yield "second\n";
}
register("/stream/gated", () => new Response(gated(), { headers: { "content-type": "text/plain" } }));
register("/stream/release", async () => {
  await kv.set(["release"], true);
  return "released";
}, "POST");

async function* ticker() {
  try {
    for (let i = 0; ; i++) {
      yield new TextEncoder().encode("tick " + i + "\n");
      await sleep(20);
    }
  } finally {
    console.log("ticker closed");
  }
}
register("/stream/ticker", () => ({ body: ticker() }));

async function* broken() {
  yield "before\n";
  throw new Error("generator broke");
}
register("/stream/broken", () => ({ body: broken() }));
register("/stream/wrong", () => ({ body: (async function* () { yield 42; })() }));

// 50 ms of JavaScript per chunk: the stream's JS time runs out.
async function* busy() {
  for (let i = 0; ; i++) {
    const until = Date.now() + 50;
    while (Date.now() < until) { /* spin */ }
    yield "busy " + i + "\n";
  }
}
register("/stream/busy", () => ({ body: busy() }));

async function* stalled() {
  yield "first\n";
  await new Promise(() => {});
}
register("/stream/stalled", () => ({ body: stalled() }));

register("/response/created", () => new Response("x", { status: 201, headers: { "x-made": "yes" } }));
register("/response/json", () => Response.json({ a: 1 }, { status: 202 }));
register("/response/used", async () => {
  const r = new Response("once");
  await r.text();
  return r;
});

register("/proxy", async (req) => {
  const upstream = await fetch(req.query.url);
  return new Response(upstream.body, { status: upstream.status, headers: { "content-type": "text/plain" } });
});
register("/proxy/direct", (req) => fetch(req.query.url));

const MB = 1024 * 1024;
register("/upload/size", (req) => {
  const f = req.files[0];
  return {
    body: {
      name: f.name, filename: f.filename, type: f.contentType, size: f.size,
      form: req.form, bodyLength: req.body.length,
    },
  };
}, "POST", { maxBodyBytes: 32 * MB });
register("/upload/hash", (req) => {
  const f = req.files[0];
  let bytes;
  try {
    bytes = f.bytes;
  } catch (e) {
    return { status: 413, body: { error: e.name + ": " + e.message } };
  }
  return { body: { size: f.size, length: bytes.length, sha256: crypto.hash("sha256", bytes, "hex") } };
}, "POST", { maxBodyBytes: 64 * MB });
register("/upload/default", (req) => ({ body: { size: req.files[0].size } }), "POST");
register("/upload/late", async (req) => {
  await sleep(1);
  const f = req.files[0];
  return { body: { size: f.size, first: f.bytes[0], sameArray: f.bytes === f.bytes } };
}, "POST", { maxBodyBytes: 32 * MB });
register("/upload/raw", (req) => ({ body: { length: req.body.length } }), "PUT", { maxBodyBytes: 8 * MB });
