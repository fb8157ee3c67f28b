// The kv data API (issue 6 §1), driven through HTTP by tests/kv.rs.
const json = (v) => ({ status: 200, contentType: "application/json", body: JSON.stringify(v) });

// Check-and-retry increment: read, then commit only if nobody wrote since.
register("/kv/incr", async () => {
  for (let retries = 0; ; retries++) {
    const cur = await kv.get(["counter"]);
    const n = (cur.value ?? 0) + 1;
    const r = await kv.atomic().check(cur).set(["counter"], n).commit();
    if (r.ok) return json({ n, retries, versionstamp: r.versionstamp });
  }
}, "POST");
register("/kv/counter", async () => json((await kv.get(["counter"])).value ?? 0));
register("/kv/hits", async () => {
  await kv.atomic().sum(["hits"], 1).commit();
  return json((await kv.get(["hits"])).value);
}, "POST");

register("/kv/put", async (req) => {
  const { key, value, expireIn } = req.json;
  const r = await kv.set(key, value, expireIn ? { expireIn } : undefined);
  return json(r);
}, "POST");
register("/kv/get", async (req) => {
  const e = await kv.get(req.json.key);
  return json(e);
}, "POST");
register("/kv/delete", async (req) => {
  await kv.delete(req.json.key);
  return json((await kv.get(req.json.key)).value);
}, "POST");

// Every kind of value survives a round trip with its type.
register("/kv/types", async () => {
  const date = new Date(Date.UTC(2024, 1, 29, 12, 0, 0));
  const value = {
    s: "héllo", n: -1.5, i: 42, negZero: -0, t: true, f: false, nil: null, u: undefined,
    big: 12345678901234n, bytes: new Uint8Array([0, 1, 255]), date,
    arr: [1, "two", [3]], map: new Map([["a", 1], [2, "b"]]), set: new Set([1, 2]),
    nested: { deep: { er: "x" } },
  };
  await kv.set(["types"], value);
  const v = (await kv.get(["types"])).value;
  return json({
    s: v.s === "héllo", n: v.n === -1.5, i: v.i === 42,
    negZero: Object.is(v.negZero, -0), t: v.t === true, f: v.f === false,
    nil: v.nil === null, u: "u" in v && v.u === undefined, big: v.big === 12345678901234n,
    bytes: v.bytes instanceof Uint8Array && v.bytes.join() === "0,1,255",
    date: v.date instanceof Date && v.date.getTime() === date.getTime(),
    arr: JSON.stringify(v.arr) === '[1,"two",[3]]',
    map: v.map instanceof Map && v.map.get("a") === 1 && v.map.get(2) === "b",
    set: v.set instanceof Set && v.set.has(2) && v.set.size === 2,
    nested: v.nested.deep.er === "x",
  });
});

// Keys order part by part: bytes < string < number < bigint < boolean.
register("/kv/order", async () => {
  const keys = [["o", true], ["o", 10n], ["o", 2], ["o", -1], ["o", "b"], ["o", "a"],
    ["o", new Uint8Array([1])], ["o", false], ["o", "a", 1]];
  for (const k of keys) await kv.set(k, 1);
  const out = [];
  for await (const e of kv.list({ prefix: ["o"] })) {
    out.push(e.key.slice(1).map((p) => p instanceof Uint8Array ? "u8:" + p.join() : typeof p === "bigint" ? p + "n" : p));
  }
  return json(out);
});

// Paging: a limit, then the iterator's cursor continues where it stopped.
register("/kv/page", async (req) => {
  const n = Number(req.query.n || 25);
  const atomic = kv.atomic();
  for (let i = 0; i < n; i++) atomic.set(["p", i], "v" + i);
  await atomic.commit();
  const pages = [];
  let cursor;
  for (;;) {
    const it = kv.list({ prefix: ["p"] }, { limit: 10, cursor, reverse: req.query.reverse === "1" });
    const page = [];
    for await (const e of it) page.push(e.key[1]);
    if (page.length === 0) break;
    pages.push(page);
    cursor = it.cursor;
  }
  const range = [];
  for await (const e of kv.list({ start: ["p", 3], end: ["p", 6] })) range.push(e.value);
  // start/end outside the prefix are clipped to it.
  await kv.set(["a"], 0);
  await kv.set(["z"], 0);
  let clipped = 0;
  for await (const e of kv.list({ prefix: ["p"], start: ["a"], end: ["z"] })) clipped += e.key[0] === "p" ? 1 : 100;
  return json({ pages, range, clipped });
});

register("/kv/many", async () => {
  await kv.set(["m", 1], "one");
  await kv.set(["m", 3], "three");
  const r = await kv.getMany([["m", 1], ["m", 2], ["m", 3]]);
  return json(r.map((e) => [e.key, e.value, typeof e.versionstamp]));
});

// A check that fails writes nothing, not even the other mutations.
register("/kv/check-fails", async () => {
  const first = await kv.set(["cf"], "a");
  const stale = { key: ["cf"], versionstamp: "00000000000000000000" };
  const r = await kv.atomic().check(stale).set(["cf"], "b").set(["cf-other"], "x").commit();
  const absent = await kv.atomic().check({ key: ["cf-new"], versionstamp: null }).set(["cf-new"], 1).commit();
  return json({
    ok: r.ok, versionstamp: r.versionstamp, first: first.ok,
    cf: (await kv.get(["cf"])).value, other: (await kv.get(["cf-other"])).value,
    absentOk: absent.ok,
  });
});

register("/kv/error", async (req) => {
  try {
    switch (req.query.case) {
      case "big-value": await kv.set(["big"], "x".repeat(70 * 1024)); break;
      case "big-key": await kv.set(["k", "x".repeat(3000)], 1); break;
      case "bad-key": await kv.get("not-an-array"); break;
      case "bad-part": await kv.get([{}]); break;
      case "function": await kv.set(["f"], () => 1); break;
      case "too-many": {
        const a = kv.atomic();
        for (let i = 0; i < 129; i++) a.set(["many", i], i);
        await a.commit();
        break;
      }
      case "sum-string": await kv.set(["str"], "s"); await kv.atomic().sum(["str"], 1).commit(); break;
      case "open": kv.open("not-granted"); break;
      default: return "no error";
    }
    return "no error";
  } catch (e) {
    return json({ name: e.name, message: e.message });
  }
});

register("/kv/shared", async (req) => {
  const shared = kv.open("common");
  if (req.method === "POST") await shared.set(["note"], req.body);
  return json({ shared: (await shared.get(["note"])).value, own: (await kv.get(["note"])).value });
}, "GET");
register("/kv/shared", async (req) => {
  await kv.open("common").set(["note"], req.body);
  return "stored";
}, "POST");
