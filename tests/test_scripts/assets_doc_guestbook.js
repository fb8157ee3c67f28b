// guestbook.js: anyone may sign with a photo; the photos are served as assets.
register("/sign", async (req) => {
  const photo = req.files[0];
  if (!photo) return { status: 400, body: "attach a photo (field 'photo')" };
  const path = "guestbook/" + Date.now() + "-" + photo.filename.replace(/[^A-Za-z0-9_.-]/g, "_");
  try {
    const a = await assets.put(path, photo);
    const thumb = await assets.image(a.path, { width: 160, height: 160, fit: "cover", format: "webp" });
    await kv.set(["entries", Date.now()], { name: req.form.name || "guest", photo: a.url, thumb: thumb.url });
    return { status: 303, headers: { Location: "/book" }, body: "" };
  } catch (e) {
    return { status: 400, body: e.message };
  }
}, "POST");

register("/book", async () => {
  let html = "<h1>Guestbook</h1>";
  for await (const e of kv.list({ prefix: ["entries"] }, { reverse: true, limit: 50 })) {
    html += `<p><a href="${e.value.photo}"><img src="${e.value.thumb}"></a> ${escapeHtml(e.value.name)}</p>`;
  }
  return { status: 200, contentType: "text/html", body: html };
});
