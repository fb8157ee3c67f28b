// A guestbook with uploads (issue 6 §4), driven by tests/assets.rs: a
// visitor's photo is stored with the script owner's rights and served at
// its asset path; notes, listing, reading, thumbnails and deletion too.
const json = (v, status) => ({ status: status || 200, contentType: "application/json", body: JSON.stringify(v) });
const fail = (e) => json({ error: e.message, code: e.code || null }, 400);
const meta = (a) => ({ path: a.path, url: a.url, contentType: a.contentType, size: a.size, etag: a.etag, owner: a.owner });

register("/guestbook/sign", async (req) => {
  const file = req.files[0];
  if (!file) return json({ error: "attach a photo" }, 400);
  try {
    const a = await assets.put("guestbook/" + file.filename, file);
    return json(meta(a), 201);
  } catch (e) {
    return fail(e);
  }
}, "POST");

register("/guestbook/note", async (req) => {
  try {
    const { path, text, contentType } = req.json;
    return json(meta(await assets.put(path, text, contentType ? { contentType } : undefined)), 201);
  } catch (e) {
    return fail(e);
  }
}, "POST");

register("/guestbook/entries", async () => {
  const list = await assets.list({ prefix: "guestbook/" });
  return json(list.map(meta));
});

register("/guestbook/read", async (req) => {
  const a = await assets.get(req.query.path);
  if (a === null) return json({ error: "no such asset" }, 404);
  if (req.query.as === "text") return json({ text: await a.text() });
  return { status: 200, contentType: a.contentType, body: await a.bytes() };
});

register("/guestbook/thumb", async (req) => {
  try {
    return json(await assets.image(req.query.path, { width: 50, height: 50, fit: "contain", format: "png" }));
  } catch (e) {
    return fail(e);
  }
});

register("/guestbook/delete", async (req) => {
  try {
    return json({ deleted: await assets.delete(req.json.path) });
  } catch (e) {
    return fail(e);
  }
}, "POST");
