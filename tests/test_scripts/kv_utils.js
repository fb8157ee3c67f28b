// Web-standard utilities (issue 6 §3): each route returns computed values
// that tests/js_utils.rs compares with published vectors.
const json = (v) => ({ status: 200, contentType: "application/json", body: JSON.stringify(v) });
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const fromHex = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));

register("/utils/hash", () => json({
  sha1_abc: crypto.hash("sha1", "abc"),
  sha256_abc: crypto.hash("sha256", "abc"),
  sha256_empty: crypto.hash("sha256", ""),
  sha384_abc: crypto.hash("sha384", "abc"),
  sha512_abc: crypto.hash("sha512", "abc"),
  sha256_448: crypto.hash("SHA-256", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
  sha256_b64: crypto.hash("sha256", new TextEncoder().encode("abc"), "base64"),
  sha256_bytes: crypto.hash("sha256", "abc", "bytes") instanceof Uint8Array,
}));

// RFC 4231 test cases 1, 2 and 6 (131-byte key).
register("/utils/hmac", () => {
  const key1 = new Uint8Array(20).fill(0x0b);
  const key6 = new Uint8Array(131).fill(0xaa);
  const data6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  return json({
    tc1_256: crypto.hmac("sha256", key1, "Hi There"),
    tc1_384: crypto.hmac("sha384", key1, "Hi There"),
    tc1_512: crypto.hmac("sha512", key1, "Hi There"),
    tc2_256: crypto.hmac("sha256", "Jefe", "what do ya want for nothing?"),
    tc6_256: crypto.hmac("sha256", key6, data6),
    tc2_sha1: crypto.hmac("sha1", "Jefe", "what do ya want for nothing?"),
    safe_eq: crypto.timingSafeEqual("abc", "abc"),
    safe_ne: crypto.timingSafeEqual(fromHex("0102"), fromHex("0103")),
    safe_len: crypto.timingSafeEqual("abc", "abcd"),
  });
});

register("/utils/base64", () => {
  const errors = [];
  for (const bad of ["é", "\u0100"]) {
    try { btoa(bad); errors.push("no error"); } catch (e) { errors.push(e.name); }
  }
  try { atob("a"); errors.push("no error"); } catch (e) { errors.push(e.name); }
  return json({
    rfc4648: ["", "f", "fo", "foo", "foob", "fooba", "foobar"].map((s) => btoa(s)),
    back: ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYg", " Zm9v YmE= ", "Zm9vYmFy"].map((s) => atob(s)),
    latin1: btoa("\u00ff\u00fe"),
    errors,
  });
});

register("/utils/text", () => {
  const enc = new TextEncoder();
  const bytes = enc.encode("€ aé 😀");
  let fatal;
  try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xff])); fatal = "no error"; } catch (e) { fatal = e.name; }
  const into = new Uint8Array(4);
  return json({
    hex: hex(bytes),
    back: new TextDecoder().decode(bytes),
    lossy: new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0x62])),
    bom: new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])),
    fatal,
    encodeInto: enc.encodeInto("a€b", into),
    encoding: new TextDecoder("utf8").encoding,
  });
});

register("/utils/url", () => {
  const u = new URL("https://user:pa ss@EXAMPLE.com:443/a/./b/../c?x=1&y=2#frag");
  const parts = {};
  for (const k of ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"]) parts[k] = u[k];
  const rel = new URL("../d?q#h", "http://example.org/a/b/c").href;
  const idn = new URL("http://münchen.de/").hostname;
  const ipv4 = new URL("http://0x7f.1/").hostname;
  const ipv6 = new URL("http://[0:0::1]/").host;
  const bad = [];
  for (const b of ["http://exa mple.org", "//no-scheme", "http://[::1"]) {
    try { new URL(b); bad.push("parsed"); } catch (e) { bad.push(e.name); }
  }
  const m = new URL("http://example.com/p?a=1");
  m.searchParams.append("b", "x y");
  m.pathname = "/new path";
  m.hash = "h";
  m.port = "8080";
  const sp = new URLSearchParams("?a=1&b=2&a=3&c=%20d+e");
  sp.delete("b");
  sp.set("z", "é&");
  sp.sort();
  const fromObj = new URLSearchParams({ q: "a b", n: 1 }).toString();
  return json({
    parts, rel, idn, ipv4, ipv6, bad, mutated: m.href,
    sp: sp.toString(), spAll: sp.getAll("a"), spGet: sp.get("c"), spHas: sp.has("b"), size: sp.size,
    fromObj, canParse: [URL.canParse("x:"), URL.canParse("nope")],
  });
});

register("/utils/misc", async () => {
  const order = [];
  queueMicrotask(() => order.push("micro"));
  order.push("sync");
  await null;
  const original = { d: new Date(0), m: new Map([[1, { x: [1] }]]), b: new Uint8Array([7]) };
  const copy = structuredClone(original);
  copy.m.get(1).x.push(2);
  let cloneErr;
  try { structuredClone({ f() {} , g: Symbol("s") }); cloneErr = "no error"; } catch (e) { cloneErr = e.name; }
  const proto = structuredClone(JSON.parse('{"__proto__": {"polluted": true}}'));
  const uuid = crypto.randomUUID();
  const rnd = crypto.getRandomValues(new Uint32Array(8));
  return json({
    order,
    cloneDeep: original.m.get(1).x.length === 1 && copy.d instanceof Date && copy.b[0] === 7,
    cloneErr,
    protoKept: Object.keys(proto).join() === "__proto__" && proto.polluted === undefined,
    uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid),
    uuidsDiffer: uuid !== crypto.randomUUID(),
    random: rnd.some((x) => x !== 0),
    escapeHtml: escapeHtml(`<a href="x">'&'</a>`),
    escapeJs: escapeJs(`"</script>\n'`),
    escapeUrl: escapeUrl("a b&c/é"),
  });
});

register("/utils/date", () => {
  const d = new Date(Date.UTC(1994, 10, 6, 8, 49, 37, 5));
  let zoneErr;
  try { formatDate(d, { timeZone: "Europe/Paris" }); zoneErr = "no error"; } catch (e) { zoneErr = e.name + ": " + e.message; }
  return json({
    rfc3339: formatDate(d),
    rfc3339_offset: formatDate(d, { format: "rfc3339", timeZone: "+05:30" }),
    rfc7231: formatDate(d, { format: "rfc7231", timeZone: "-08:00" }),
    pattern: formatDate(d, { format: "dddd D MMMM YY, h:mm A [at] ZZ", timeZone: "-0800" }),
    fromNumber: formatDate(0, { format: "YYYY-MM-DD HH:mm:ss.SSS" }),
    zoneErr,
  });
});
