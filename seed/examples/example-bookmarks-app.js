// A web-standard app: a module script whose `export default { fetch }`
// answers every method and path under its mount point, written the way a
// Deno, Bun or Cloudflare Workers handler is (Request in, Response out),
// with its data in `kv`. See docs/javascript-apis.md "Module scripts".
//
//   GET    /examples/bookmarks            the list (JSON)
//   POST   /examples/bookmarks            {"url": "https://…", "title": "…"} → 201
//   GET    /examples/bookmarks/ID         one bookmark
//   DELETE /examples/bookmarks/ID         → 204

export const mount = "/examples/bookmarks";

const json = (data, status = 200) => Response.json(data, { status });
const problem = (status, error) => json({ error }, status);

async function create(request) {
  let input;
  try {
    input = await request.json();
  } catch {
    return problem(400, 'send JSON like {"url": "https://example.com", "title": "Example"}');
  }
  let url;
  try {
    url = new URL(String(input.url));
  } catch {
    return problem(400, "url must be an absolute http(s) URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return problem(400, "url must be an absolute http(s) URL");
  }
  const id = crypto.randomUUID().slice(0, 8);
  const bookmark = { id, url: url.href, title: String(input.title || url.hostname), created: Date.now() };
  await kv.set(["bookmarks", id], bookmark);
  return json(bookmark, 201);
}

async function list() {
  const items = [];
  for await (const entry of kv.list({ prefix: ["bookmarks"] })) items.push(entry.value);
  items.sort((a, b) => a.created - b.created);
  return json(items);
}

export default {
  async fetch(request, ctx) {
    const id = ctx.path.slice(1);
    if (id === "") {
      if (request.method === "GET") return list();
      if (request.method === "POST") return create(request);
      return problem(405, "use GET or POST here");
    }
    if (id.includes("/")) return problem(404, "no such page");
    const found = await kv.get(["bookmarks", id]);
    if (found.value === null) return problem(404, "no bookmark " + id);
    if (request.method === "GET") return json(found.value);
    if (request.method === "DELETE") {
      await kv.delete(["bookmarks", id]);
      return new Response(null, { status: 204 });
    }
    return problem(405, "use GET or DELETE here");
  },
};
