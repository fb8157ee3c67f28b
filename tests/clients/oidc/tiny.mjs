// A tiny, test-controlled OpenID provider: it signs whatever ID token the
// test asks for (expired, wrong nonce, another audience), which a real
// provider would never issue, and can serve the recorded discovery
// document of a big provider (Google, Microsoft, Apple) with its URLs
// moved to loopback. Its endpoints are the ones the document names.
import http from "node:http";
import { SignJWT, importJWK } from "jose";
import { newKey } from "./provider.mjs";

/** The minimal document of a generic provider. */
export function genericDocument(base) {
  return {
    issuer: base,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
  };
}

/**
 * `document(base)`: the discovery document; `discoveryPath`: where it is
 * served; `formPost`: answer the authorization request with an HTML form
 * (response_mode=form_post) carrying `user` too; `checkClient(form,
 * headers)`: throws to refuse the token request's client authentication.
 */
export async function startTiny({
  clientId,
  document = genericDocument,
  discoveryPath = "/.well-known/openid-configuration",
  formPost = false,
  user = null,
  checkClient = async () => {},
}) {
  const key = await newKey("tiny-1");
  const { d, p, q, dp, dq, qi, ...pub } = key;
  const signing = await importJWK(key, "RS256");
  let base = "";
  let doc = null;
  let lastNonce = "";
  let tamper = (claims) => claims;
  const path = (u) => new URL(u).pathname;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, base);
    const json = (v, status = 200) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(v));
    };
    if (url.pathname === discoveryPath) return json(doc);
    if (url.pathname === path(doc.jwks_uri)) return json({ keys: [pub] });
    if (url.pathname === path(doc.authorization_endpoint)) {
      lastNonce = url.searchParams.get("nonce");
      const fields = { code: "tiny-code", state: url.searchParams.get("state") };
      if (formPost) {
        if (user) fields.user = JSON.stringify(user);
        const inputs = Object.entries(fields)
          .map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}">`)
          .join("");
        res.writeHead(200, { "content-type": "text/html" });
        return res.end(`<form method="post" action="${url.searchParams.get("redirect_uri")}">${inputs}</form>`);
      }
      const back = new URL(url.searchParams.get("redirect_uri"));
      for (const [k, v] of Object.entries(fields)) back.searchParams.set(k, v);
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === path(doc.token_endpoint)) {
      let body = "";
      for await (const chunk of req) body += chunk;
      try {
        await checkClient(new URLSearchParams(body), req.headers);
      } catch (e) {
        return json({ error: "invalid_client", error_description: String(e.message || e) }, 401);
      }
      const now = Math.floor(Date.now() / 1000);
      const claims = tamper({
        iss: doc.issuer, aud: clientId, sub: "tiny-user", nonce: lastNonce,
        email: "tiny@example.com", email_verified: true, iat: now, exp: now + 300,
      });
      const idToken = await new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: key.kid })
        .sign(signing);
      return json({ access_token: "x", token_type: "Bearer", expires_in: 300, id_token: idToken });
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${server.address().port}`;
  doc = document(base);
  return {
    base,
    issuer: doc.issuer,
    /** `f(claims) -> claims` for the next tokens. */
    tamper(f) {
      tamper = f;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
