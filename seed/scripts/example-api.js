// A small JSON API with path parameters, JSON bodies and status codes.
// Module-level state lives per worker: it is a cache, not shared storage.
const notes = {};

register("/examples/notes/:id", function (req) {
  const note = notes[req.params.id];
  if (!note) return { status: 404, body: { error: "no note " + req.params.id } };
  return { body: note };
}, "GET");

register("/examples/notes/:id", function (req) {
  if (!req.json || typeof req.json.text !== "string") {
    return { status: 400, body: { error: "send JSON like {\"text\": \"...\"}" } };
  }
  notes[req.params.id] = { id: req.params.id, text: req.json.text };
  writeLog("saved note " + req.params.id);
  return { status: 201, body: notes[req.params.id] };
}, "PUT");
