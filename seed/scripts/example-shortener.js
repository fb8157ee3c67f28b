// A link shortener with click counts, on the kv data API.
// POST /examples/links {"id": "gh", "url": "https://github.com"} creates a
// link (409 if the id is taken), GET /examples/go/gh redirects and counts,
// GET /examples/links lists the links with their counts.

register("/examples/links", async (req) => {
  const { id, url } = req.json || {};
  if (typeof id !== "string" || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) {
    return { status: 400, body: { error: "send JSON like {\"id\": \"gh\", \"url\": \"https://github.com\"}" } };
  }
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    return { status: 400, body: { error: "url must be an http(s) URL" } };
  }
  const r = await kv.atomic()
    .check({ key: ["link", id], versionstamp: null })
    .set(["link", id], { url, created: formatDate(new Date()) })
    .commit();
  return r.ok ? { status: 201, body: { id, short: "/examples/go/" + id } } : { status: 409, body: { error: "id taken" } };
}, "POST");

register("/examples/go/:id", async (req) => {
  const link = await kv.get(["link", req.params.id]);
  if (link.value === null) return { status: 404, body: "no such link" };
  await kv.atomic().sum(["clicks", req.params.id], 1).commit();
  return { status: 302, headers: { Location: link.value.url } };
});

register("/examples/links", async () => {
  const out = [];
  for await (const e of kv.list({ prefix: ["link"] })) {
    const clicks = (await kv.get(["clicks", e.key[1]])).value ?? 0;
    out.push({ id: e.key[1], url: e.value.url, created: e.value.created, clicks });
  }
  return { body: out };
});
