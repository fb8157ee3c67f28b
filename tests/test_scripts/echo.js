// Echoes the parsed request back as JSON (REQ-HTTP-001, REQ-HTTP-002, REQ-HTTP-008).
function fileInfo(f) {
  return {
    name: f.name,
    filename: f.filename,
    contentType: f.contentType,
    size: f.size,
    isUint8Array: f.bytes instanceof Uint8Array,
    bytes: Array.from(f.bytes),
  };
}

function echo(req) {
  const files = Array.isArray(req.files) ? req.files : Object.values(req.files || {}).flat();
  return {
    status: 200,
    body: {
      method: req.method,
      path: req.path,
      version: req.version,
      query: req.query,
      params: req.params,
      headers: req.headers,
      cookies: req.cookies,
      ip: req.ip,
      body: req.body,
      json: req.json,
      form: req.form,
      files: files.map(fileInfo),
      requestId: req.requestId,
    },
  };
}

for (const m of ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
  register("/echo", echo, m);
}
register("/users/:id", echo);
register("/items/{id}/parts/{part}", echo);
register("/files/*", echo);
// The handler may also be named by its global function name.
register("/by-name", "echo", "POST");
