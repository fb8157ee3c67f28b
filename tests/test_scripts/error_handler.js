// A script's own error handler (REQ-JS-006).
setErrorHandler((err, req) => ({
  status: 503,
  body: { handled: err.message, path: req.path },
}));
register("/handled", () => {
  throw new Error("handled-xyz");
});
