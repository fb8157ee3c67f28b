// The older engine's asset globals (issue 6 §5), synchronous, with paths
// written with a leading "/"; driven by tests/assets.rs.
const json = (v) => ({ status: 200, contentType: "application/json", body: JSON.stringify(v) });

register("/legacy/list", () => json(listAssets()));
register("/legacy/fetch", (req) => json(fetchAsset(req.query.path)));
register("/legacy/upsert", (req) => {
  const { path, mimetype, content } = req.json;
  try {
    upsertAsset(path, mimetype, content);
    return json({ ok: true });
  } catch (e) {
    return json({ ok: false, error: e.message });
  }
}, "POST");
register("/legacy/delete", (req) => json({ deleted: deleteAsset(req.json.path) }), "POST");

// No await anywhere: every call answers at once.
register("/legacy/sync", () => {
  const before = listAssets().length;
  upsertAsset("/legacy-sync.txt", "text/plain", btoa("hi there"));
  const listed = listAssets().includes("/legacy-sync.txt");
  const got = JSON.parse(fetchAsset("/legacy-sync.txt"));
  const deleted = deleteAsset("/legacy-sync.txt");
  return json({
    before, listed, publicPath: got.publicPath, mimetype: got.mimetype,
    content: atob(got.content), deleted, gone: fetchAsset("/legacy-sync.txt"),
    again: deleteAsset("/legacy-sync.txt"),
  });
});
