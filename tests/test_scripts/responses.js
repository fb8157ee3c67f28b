// Response shapes and content-type defaults (REQ-HTTP-003).
register("/ct/doctype", () => ({ status: 200, body: "  \n\t<!DOCTYPE html><p>hi</p>" }));
register("/ct/html-upper", () => ({ status: 200, body: "<HTML><body>hi</body></HTML>" }));
register("/ct/text", () => ({ status: 200, body: "plain words, then <html>" }));
register("/ct/object", () => ({ status: 200, body: { a: 1, list: [1, 2] } }));
register("/ct/bytes", () => ({ status: 200, body: new Uint8Array([0, 1, 2, 254, 255]) }));
register("/ct/no-content", () => ({ status: 204, body: "" }));
register("/ct/string-return", () => "just a string");
register("/ct/custom", () => ({
  status: 201,
  body: "a,b\n1,2\n",
  contentType: "text/csv",
  headers: { "X-Custom-Header": "custom-value" },
}));
register("/bad/status", () => ({ status: 2000, body: "typo" }));
register("/bad/header", () => ({ status: 200, body: "x", headers: { "X-Bad": "a\r\nInjected: 1" } }));
register("/bad/body", () => ({ status: 200, body: function () {} }));
register("/bad/symbol", () => ({ status: 200, body: Symbol("s") }));
register("/odd/html-as-text", () => ({
  status: 200,
  body: "<!doctype html><p>x</p>",
  contentType: "text/plain",
}));
