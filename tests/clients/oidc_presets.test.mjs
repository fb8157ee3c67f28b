// The Google, Microsoft and Apple presets (REQ-AUTH-001) against their
// recorded discovery documents served on loopback and ID tokens signed by
// test keys: Microsoft's multi-tenant issuer checked against `tid`, and
// Apple's ES256 client-secret JWT, form_post answer and first-login name.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, exportPKCS8, jwtVerify, decodeProtectedHeader } from "jose";
import { startEngine } from "./engine.mjs";
import { startTiny, Browser, recorded } from "./oidc/index.mjs";

const ORG_TID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CONSUMERS_TID = "9188040d-6c67-4c5b-b112-36a304b66dad";
let engine, google, microsoft, apple, dir;
let appleSecrets = [];

before(async () => {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  dir = mkdtempSync(join(tmpdir(), "aiwe-oidc-presets-"));
  writeFileSync(join(dir, "AuthKey_KEY1234567.p8"), await exportPKCS8(privateKey));
  google = await startTiny({ clientId: "g-client", document: recorded.google });
  microsoft = await startTiny({
    clientId: "ms-client",
    document: recorded.microsoftOrganizations,
    discoveryPath: "/organizations/v2.0/.well-known/openid-configuration",
  });
  apple = await startTiny({
    clientId: "com.example.web",
    document: recorded.apple,
    formPost: true,
    user: { name: { firstName: "Ada", lastName: "Lovelace" }, email: "ada@privaterelay.appleid.com" },
    // Apple's check: client_secret_post with an ES256 JWT from the .p8 key.
    async checkClient(form, headers) {
      assert.equal(headers.authorization, undefined, "Apple takes the secret in the body only");
      assert.equal(form.get("client_id"), "com.example.web");
      const secret = form.get("client_secret");
      const { payload } = await jwtVerify(secret, publicKey, { algorithms: ["ES256"] });
      appleSecrets.push({ header: decodeProtectedHeader(secret), payload });
    },
  });
  const config = join(dir, "engine.toml");
  writeFileSync(
    config,
    `[auth.providers.google]
preset = "google"
issuer = "${google.issuer}"
client_id = "g-client"
client_secret = "g-secret"

[auth.providers.microsoft]
preset = "microsoft"
tenant = "organizations"
issuer = "${microsoft.base}/organizations/v2.0"
client_id = "ms-client"
client_secret = "ms-secret"

[auth.providers.apple]
preset = "apple"
issuer = "${apple.issuer}"
client_id = "com.example.web"
team_id = "TEAM123456"
key_id = "KEY1234567"
private_key = "file:${join(dir, "AuthKey_KEY1234567.p8")}"
`,
  );
  engine = await startEngine({ env: { AIWEBENGINE_CONFIG: config } });
});

after(async () => {
  await engine?.stop();
  for (const p of [google, microsoft, apple]) await p?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function login(name) {
  const b = new Browser();
  const callback = `${engine.url}/engine/auth/oidc/${name}/callback`;
  const at = await b.follow(`${engine.url}/engine/auth/oidc/${name}?return_to=%2Fdone`, (u) => u.startsWith(callback));
  const answer = await b.request(at.url);
  return { b, answer };
}

async function me(b) {
  const r = await b.request(`${engine.url}/engine/api/me`);
  return r.status === 200 ? r.json() : null;
}

test("test_req_auth_001_google_preset_with_its_recorded_document", async () => {
  google.tamper((c) => ({ ...c, sub: "1098", email: "gina@gmail.com", name: "Gina", azp: "g-client" }));
  const { b, answer } = await login("google");
  assert.equal(answer.status, 303, await answer.text());
  assert.equal((await me(b)).email, "gina@gmail.com");
});

test("test_req_auth_001_microsoft_multi_tenant_issuer_is_checked_against_tid", async () => {
  const iss = (tid) => `${microsoft.base}/${tid}/v2.0`;
  microsoft.tamper((c) => ({ ...c, sub: "ms-1", email: "mo@contoso.com", iss: iss(ORG_TID), tid: ORG_TID }));
  const ok = await login("microsoft");
  assert.equal(ok.answer.status, 303, await ok.answer.text());
  assert.equal((await me(ok.b)).email, "mo@contoso.com");

  microsoft.tamper((c) => ({ ...c, sub: "ms-2", iss: iss(ORG_TID), tid: "00000000-0000-0000-0000-000000000001" }));
  const mixed = await login("microsoft");
  assert.equal(mixed.answer.status, 401, "iss of another tenant than tid");
  assert.equal((await mixed.answer.json()).error.code, "oidc_token_invalid");

  microsoft.tamper((c) => ({ ...c, sub: "ms-3", iss: iss(CONSUMERS_TID), tid: CONSUMERS_TID }));
  const personal = await login("microsoft");
  assert.equal(personal.answer.status, 401, "tenant = organizations refuses personal accounts");
  assert.match((await personal.answer.json()).error.message, /personal Microsoft accounts/);
});

test("test_req_auth_001_apple_client_secret_form_post_and_first_login_name", async () => {
  apple.tamper((c) => ({ ...c, sub: "001234.abcd", email: "ada@privaterelay.appleid.com", email_verified: "true", is_private_email: "true" }));
  const b = new Browser();
  const start = await b.request(`${engine.url}/engine/auth/oidc/apple?return_to=%2Fdone`);
  assert.equal(start.status, 303);
  const auth = new URL(start.headers.get("location"));
  assert.equal(auth.searchParams.get("response_mode"), "form_post");
  assert.equal(auth.searchParams.get("scope"), "openid name email");
  // Apple answers with a page that posts a form to the callback.
  const page = await (await fetch(auth)).text();
  const action = page.match(/action="([^"]+)"/)[1];
  const fields = Object.fromEntries([...page.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2].replace(/&quot;/g, '"').replace(/&amp;/g, "&")]));
  const answer = await b.request(action, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  assert.equal(answer.status, 303, await answer.text());
  const user = await me(b);
  assert.equal(user.email, "ada@privaterelay.appleid.com");
  assert.equal(user.name, "Ada Lovelace", "the name Apple sends on the first login is kept");

  const { header, payload } = appleSecrets.at(-1);
  assert.deepEqual([header.alg, header.kid], ["ES256", "KEY1234567"]);
  assert.equal(payload.iss, "TEAM123456");
  assert.equal(payload.sub, "com.example.web");
  assert.equal(payload.aud, apple.issuer);
  assert.ok(payload.exp > payload.iat && payload.exp - payload.iat <= 15777000, "valid at most 6 months");
});
