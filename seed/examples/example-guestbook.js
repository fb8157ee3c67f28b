// A guestbook with photo uploads, on the assets and kv APIs.
// GET /examples/guestbook shows the book and a form; POST
// /examples/guestbook/sign (multipart: name, photo) stores the photo as an
// asset under guestbook/, makes a 160x160 thumbnail and records the entry.
// Assets are stored with the script owner's rights: an admin who enables
// this example becomes its owner.

const page = (body) => ({
  status: 200,
  contentType: "text/html; charset=utf-8",
  body: `<!doctype html><meta name="viewport" content="width=device-width"><title>Guestbook</title>${body}`,
});

register("/examples/guestbook", async () => {
  let html = `<h1>Guestbook</h1>
<form method="post" action="/examples/guestbook/sign" enctype="multipart/form-data">
  <label>Name <input name="name" maxlength="60" required></label>
  <label>Photo <input name="photo" type="file" accept="image/png,image/jpeg,image/webp,image/gif" required></label>
  <button>Sign</button>
</form>`;
  for await (const e of kv.list({ prefix: ["entries"] }, { reverse: true, limit: 50 })) {
    html += `<p><a href="${escapeHtml(e.value.photo)}"><img alt="" src="${escapeHtml(e.value.thumb)}"></a> ${escapeHtml(e.value.name)} <small>${escapeHtml(e.value.at)}</small></p>`;
  }
  return page(html);
});

register("/examples/guestbook/sign", async (req) => {
  const photo = req.files[0];
  if (!photo) return { status: 400, body: "attach a photo (field 'photo')" };
  const name = String(req.form.name || "guest").slice(0, 60);
  const path = "guestbook/" + Date.now() + "-" + photo.filename.replace(/[^A-Za-z0-9_.-]/g, "_");
  try {
    const a = await assets.put(path, photo);
    const thumb = await assets.image(a.path, { width: 160, height: 160, fit: "cover", format: "webp" });
    await kv.set(["entries", Date.now()], { name, photo: a.url, thumb: thumb.url, at: formatDate(new Date()) });
    return { status: 303, headers: { Location: "/examples/guestbook" }, body: "" };
  } catch (e) {
    // A refused type or size: the message says what was wrong.
    return { status: 400, body: e.message };
  }
}, "POST");
