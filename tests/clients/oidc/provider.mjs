// A real OpenID provider (npm oidc-provider) on loopback for the sign-in
// tests: test clients, PKCE required (S256), no consent screens (the
// interaction handler below logs in whichever account the test chose),
// RP-initiated logout, and a key set of the test's choice so that a
// restart with another key is a JWKS rotation.
import http from "node:http";
import Provider from "oidc-provider";
import { generateKeyPair, exportJWK } from "jose";

/** A fresh RS256 signing key as a private JWK with a kid. */
export async function newKey(kid) {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
}

/** A port that was free a moment ago. */
export async function freePort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Starts a provider at http://127.0.0.1:PORT (a new port unless `port` is
 * given). `accounts` maps an account id to its claims; `login(id)` picks
 * the account the next interaction logs in.
 */
export async function startProvider({ port = 0, clients, accounts, keys }) {
  const server = http.createServer();
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  let current = Object.keys(accounts)[0];
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys },
    pkce: { required: () => true },
    scopes: ["openid", "email", "profile"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    findAccount: (_ctx, id) =>
      accounts[id] && { accountId: id, claims: () => ({ sub: id, ...accounts[id] }) },
    interactions: { url: (_ctx, i) => `/interaction/${i.uid}` },
    cookies: { keys: ["test cookie key"] },
    ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60 },
  });
  provider.proxy = false;
  const callback = provider.callback();
  server.on("request", async (req, res) => {
    if (!req.url.startsWith("/interaction/")) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === "login") {
        await provider.interactionFinished(req, res, { login: { accountId: current } }, {
          mergeWithLastSubmission: false,
        });
        return;
      }
      const grant = new provider.Grant({
        accountId: details.session.accountId,
        clientId: details.params.client_id,
      });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, {
        mergeWithLastSubmission: true,
      });
    } catch (e) {
      res.statusCode = 500;
      res.end(String(e));
    }
  });
  return {
    issuer,
    port: server.address().port,
    login(id) {
      current = id;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
