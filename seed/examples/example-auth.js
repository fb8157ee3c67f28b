// Login, roles and per-user data, on the auth and kv APIs (AUTH_JS_API.md).
// GET /examples/auth/me answers who is calling (anyone); GET
// /examples/auth/notes needs a login (a browser is sent to the login page,
// an API client gets 401); POST /examples/auth/notes {"text": "..."} stores
// a note for the caller only; GET /examples/auth/admin needs the admin role.

register("/examples/auth/me", (req) => {
  const a = req.auth;
  return { body: { loggedIn: a.isAuthenticated, email: a.userEmail, role: a.role } };
});

// The user's own key: another user's notes are never read or written.
const notesKey = (user) => ["notes", user.id];

register("/examples/auth/notes", async (req) => {
  const user = req.auth.requireAuth();   // 302 to login / 401 when anonymous
  const notes = (await kv.get(notesKey(user))).value || [];
  return { body: { user: user.email, notes } };
});

register("/examples/auth/notes", async (req) => {
  const user = req.auth.requireAuth();
  const text = req.json && req.json.text;
  if (typeof text !== "string" || text.length === 0 || text.length > 500) {
    return { status: 400, body: { error: "send JSON like {\"text\": \"...\"} (1 to 500 characters)" } };
  }
  const key = notesKey(user);
  const notes = (await kv.get(key)).value || [];
  notes.push(text);
  await kv.set(key, notes);
  return { status: 201, body: { count: notes.length } };
}, "POST");

register("/examples/auth/admin", (req) => {
  const user = req.auth.requireAdmin();  // 401 anonymous, 403 below admin
  return { body: { hello: user.email, role: user.role } };
});
