// A small JSON API with path parameters, JSON bodies and status codes.
// The notes live in `kv`, shared by every worker and kept across restarts
// (module-level variables are a per-worker cache, not storage).

register("/examples/notes/:id", async function (req) {
  const note = await kv.get(["notes", req.params.id]);
  if (note.value === null) return { status: 404, body: { error: "no note " + req.params.id } };
  return { body: note.value };
}, "GET");

register("/examples/notes/:id", async function (req) {
  if (!req.json || typeof req.json.text !== "string") {
    return { status: 400, body: { error: "send JSON like {\"text\": \"...\"}" } };
  }
  const note = { id: req.params.id, text: req.json.text };
  await kv.set(["notes", req.params.id], note);
  writeLog("saved note " + req.params.id);
  return { status: 201, body: note };
}, "PUT");
