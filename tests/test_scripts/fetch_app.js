// fetch (issue 6 §2), driven through HTTP by tests/fetch.rs. UPSTREAM is
// replaced with the test's own upstream server, http://127.0.0.1:PORT.
const BASE = "UPSTREAM";
const json = (v) => ({ status: 200, contentType: "application/json", body: JSON.stringify(v) });
const caught = (e) => json({ name: e.name, message: e.message, isTypeError: e instanceof TypeError });

register("/f/json", async () => {
  const res = await fetch(BASE + "/json");
  return json({
    status: res.status, ok: res.ok, statusText: res.statusText, url: res.url,
    redirected: res.redirected, upstream: res.headers.get("X-Upstream"),
    type: res.headers.get("content-type"), data: await res.json(), used: res.bodyUsed,
  });
});

register("/f/echo", async (req) => {
  const res = await fetch(new Request(BASE + "/echo", {
    method: "post",
    headers: { "Content-Type": "application/json", "X-Test": "yes" },
    body: JSON.stringify(req.json),
  }));
  return json(await res.json());
}, "POST");

register("/f/methods", async () => {
  const out = {};
  for (const m of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]) {
    const body = m === "GET" || m === "HEAD" ? undefined : "x";
    const res = await fetch(BASE + "/echo", { method: m, body });
    out[m] = m === "HEAD" ? { status: res.status, body: res.body } : (await res.json()).method;
  }
  return json(out);
});

register("/f/bodies", async () => {
  const params = new URLSearchParams({ a: "1", b: "two words" });
  const form = new FormData();
  form.append("field", "value");
  form.append("file", new TextEncoder().encode("file bytes"), "notes.txt");
  const bytes = new Uint8Array([104, 105]);
  const send = async (body) => (await fetch(BASE + "/echo", { method: "POST", body })).json();
  return json({
    text: await send("plain"), bytes: await send(bytes), buffer: await send(bytes.buffer),
    params: await send(params), form: await send(form),
  });
});

register("/f/status", async (req) => {
  const res = await fetch(BASE + "/status/" + req.query.code);
  return json({ status: res.status, ok: res.ok, text: await res.text() });
});

register("/f/slow", async () => (await fetch(BASE + "/slow")).text());
// No timeout option: the request's own deadline ends the fetch.
register("/f/hang", async () => (await fetch(BASE + "/hang")).text());
register("/f/fast", () => "fast");

register("/f/timeout", async () => {
  try {
    await fetch(BASE + "/hang", { timeout: 200 });
    return "no timeout";
  } catch (e) {
    return caught(e);
  }
});

register("/f/big", async () => {
  try {
    const res = await fetch(BASE + "/big");
    await res.text();
    return "read it all";
  } catch (e) {
    return caught(e);
  }
});

register("/f/big-chunked", async () => {
  let n = 0;
  try {
    const res = await fetch(BASE + "/big-chunked");
    for await (const chunk of res.body) n += chunk.length;
    return "read it all";
  } catch (e) {
    return json({ n, message: e.message });
  }
});

register("/f/url", async (req) => {
  try {
    const res = await fetch(req.query.url);
    return json({ status: res.status, url: res.url, redirected: res.redirected });
  } catch (e) {
    return caught(e);
  }
});

register("/f/abort", async () => {
  const c = new AbortController();
  setTimeout(() => c.abort(), 100);
  try {
    await fetch(BASE + "/hang", { signal: c.signal });
    return "not aborted";
  } catch (e) {
    return json({ name: e.name, aborted: c.signal.aborted });
  }
});

// Aborting while a body read waits rejects that read.
register("/f/abort-body", async () => {
  const c = new AbortController();
  const res = await fetch(BASE + "/drip", { signal: c.signal });
  const reader = res.body.getReader();
  const first = await reader.read();
  setTimeout(() => c.abort(), 50);
  try {
    await reader.read();
    return "not aborted";
  } catch (e) {
    return json({ first: new TextDecoder().decode(first.value), name: e.name });
  }
});

register("/f/abort-early", async () => {
  try {
    await fetch(BASE + "/json", { signal: AbortSignal.abort("stop") });
    return "not aborted";
  } catch (e) {
    return json({ reason: e });
  }
});

register("/f/stream", async () => {
  const res = await fetch(BASE + "/chunks");
  const sizes = [];
  let text = "";
  const dec = new TextDecoder();
  for await (const chunk of res.body) {
    sizes.push(chunk.length);
    text += dec.decode(chunk);
  }
  return json({ chunks: sizes.length, text, used: res.bodyUsed });
});

// Three at once with max_concurrent = 2: the third is refused at once.
register("/f/concurrent", async () => {
  const c = new AbortController();
  const hung = [fetch(BASE + "/hang", { signal: c.signal }), fetch(BASE + "/hang", { signal: c.signal })];
  let third = "allowed";
  try {
    await fetch(BASE + "/json");
  } catch (e) {
    third = e.message;
  }
  c.abort();
  await Promise.allSettled(hung);
  return json({ third });
});

// A fetch after an await: continuations keep working, one after another.
register("/f/chain", async () => {
  const a = await (await fetch(BASE + "/json")).json();
  const b = await (await fetch(BASE + "/echo", { method: "PUT", body: a.hello })).json();
  return json({ a: a.hello, b: b.body });
});

register("/f/classes", async () => {
  const h = new Headers([["X-A", "1"], ["x-a", "2"], ["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]]);
  h.set("Content-Type", "text/plain");
  const seen = [];
  h.forEach((v, k) => seen.push(k + "=" + v));
  const made = new Response("made", { status: 201, headers: { "x-made": "yes" } });
  const j = Response.json({ a: 1 });
  const form = new FormData();
  form.append("k", "1");
  form.set("k", "2");
  let immutable = false;
  try {
    (await fetch(BASE + "/json")).headers.set("x", "y");
  } catch (e) {
    immutable = e instanceof TypeError;
  }
  return json({
    get: h.get("x-a"), has: h.has("CONTENT-TYPE"), cookies: h.getSetCookie(), entries: seen,
    made: [made.status, made.ok, made.headers.get("x-made"), made.headers.get("content-type"), await made.text()],
    json: [j.headers.get("content-type"), await j.json()],
    form: [form.get("k"), form.getAll("k").length, form.has("k")],
    immutable,
    doubleRead: await (async () => { try { await made.text(); return "read twice"; } catch (e) { return e.name; } })(),
    getBody: await (async () => { try { new Request(BASE, { body: "x" }); return "allowed"; } catch (e) { return e.name; } })(),
  });
});
