// A tiny, test-controlled OpenID provider: it signs whatever ID token the
// test asks for (expired, wrong nonce, another audience), which the real
// provider would never issue. Discovery, JWKS, an authorization endpoint
// that answers at once, and a token endpoint.
import http from "node:http";
import { SignJWT, importJWK } from "jose";
import { newKey } from "./provider.mjs";

export async function startTiny({ clientId }) {
  const key = await newKey("tiny-1");
  const { d, p, q, dp, dq, qi, ...pub } = key;
  const signing = await importJWK(key, "RS256");
  let issuer = "";
  let lastNonce = "";
  let tamper = (claims) => claims;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, issuer);
    const json = (v) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(v));
    };
    if (url.pathname === "/.well-known/openid-configuration") {
      return json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (url.pathname === "/jwks") return json({ keys: [pub] });
    if (url.pathname === "/authorize") {
      lastNonce = url.searchParams.get("nonce");
      const back = new URL(url.searchParams.get("redirect_uri"));
      back.searchParams.set("code", "tiny-code");
      back.searchParams.set("state", url.searchParams.get("state"));
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === "/token") {
      const now = Math.floor(Date.now() / 1000);
      const claims = tamper({
        iss: issuer, aud: clientId, sub: "tiny-user", nonce: lastNonce,
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
  issuer = `http://127.0.0.1:${server.address().port}`;
  return {
    issuer,
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
