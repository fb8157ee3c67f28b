// Sign-in providers set in the admin settings (the data file's layer,
// REQ-AUTH-001): applied live, the client secret masked in the view and
// kept when the masked view is saved back, and a provider that cannot be
// discovered refused with its key named.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEngine } from "./engine.mjs";
import { startTiny, Browser, freePort } from "./oidc/index.mjs";

let engine, tiny;
const SECRET = "tiny-secret-1";

before(async () => {
  tiny = await startTiny({
    clientId: "aiwe-tiny",
    async checkClient(_form, headers) {
      const basic = Buffer.from((headers.authorization || "").replace(/^Basic /, ""), "base64").toString();
      if (basic !== `aiwe-tiny:${SECRET}`) throw new Error(`wrong client credentials ${basic}`);
    },
  });
  engine = await startEngine();
});

after(async () => {
  await engine?.stop();
  await tiny?.stop();
});

async function setProviders(value) {
  const r = await engine.api("PUT", "/engine/api/config", JSON.stringify({ key: "auth.providers", value }));
  return { status: r.status, body: await r.json() };
}

async function shown() {
  const all = await (await engine.api("GET", "/engine/api/config")).json();
  return all.values.find((v) => v.key === "auth.providers");
}

async function loginWorks() {
  const b = new Browser();
  const cb = `${engine.url}/engine/auth/oidc/sso/callback`;
  const at = await b.follow(`${engine.url}/engine/auth/oidc/sso`, (u) => u.startsWith(cb));
  return (await b.request(at.url)).status === 303;
}

test("test_req_auth_001_providers_edited_in_settings_apply_live_with_the_secret_masked", async () => {
  const set = await setProviders({
    sso: { issuer: tiny.issuer, client_id: "aiwe-tiny", client_secret: SECRET, display_name: "SSO" },
  });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  const view = await shown();
  assert.equal(view.editable, true);
  assert.equal(view.value.sso.client_secret, "********");
  const page = await (await fetch(`${engine.url}/engine/auth/login`)).text();
  assert.match(page, /Sign in with SSO/);
  assert.ok(await loginWorks(), "login through the provider set in settings");

  // Saving the masked view back (with another display name) keeps the secret.
  const edited = { sso: { ...view.value.sso, display_name: "Company SSO" } };
  assert.equal((await setProviders(edited)).status, 200);
  assert.match(await (await fetch(`${engine.url}/engine/auth/login`)).text(), /Sign in with Company SSO/);
  assert.ok(await loginWorks(), "the stored secret was kept, not replaced by the mask");

  // A provider that cannot be discovered is refused, naming its key; the
  // running set stays.
  const port = await freePort();
  const bad = await setProviders({ ...edited, gone: { issuer: `http://127.0.0.1:${port}`, client_id: "x" } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, "invalid_config");
  assert.match(bad.body.error.message, /auth\.providers\.gone\.issuer/);
  assert.ok(await loginWorks());
});
