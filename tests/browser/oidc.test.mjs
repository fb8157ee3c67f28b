// Signing in through an OpenID provider in a real browser (REQ-AUTH-001):
// npm oidc-provider on loopback (from tests/clients, which .ci/run installs
// first), the engine configured with it, Debian's chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launch, openPage } from './lib.mjs';
import { startProvider, newKey, freePort } from '../clients/oidc/index.mjs';

let server, browser, idp, dir;

before(async () => {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  idp = await startProvider({
    clients: [{
      client_id: 'aiwe', client_secret: 'browser-secret',
      redirect_uris: [`${base}/engine/auth/oidc/idp/callback`],
      post_logout_redirect_uris: [`${base}/`],
      grant_types: ['authorization_code'], response_types: ['code'],
    }],
    accounts: { boss: { email: 'admin@example.com', email_verified: true, name: 'The Admin' } },
    keys: [await newKey('b1')],
  });
  dir = mkdtempSync(join(tmpdir(), 'aiwe-oidc-browser-'));
  writeFileSync(join(dir, 'engine.toml'), `[auth.providers.idp]
issuer = "${idp.issuer}"
client_id = "aiwe"
client_secret = "browser-secret"
display_name = "Test IdP"
link_by_verified_email = true
logout_at_provider = true
`);
  server = await startServer({ http: `127.0.0.1:${port}`, env: { AIWEBENGINE_CONFIG: join(dir, 'engine.toml') } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await idp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('test_req_auth_001_browser_signs_in_through_the_provider_and_lands_on_the_admin_ui', async () => {
  const p = await openPage(browser, server.url);
  await p.goto(`${server.url}/engine/auth/login?return_to=${encodeURIComponent('/engine/admin/')}`);
  await p.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await p.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
  assert.equal(new URL(p.url()).pathname, '/engine/admin/');
  const cookies = await p.context().cookies();
  const session = cookies.find((c) => c.name === 'aiwebengine_session');
  assert.equal(session.httpOnly, true);
  assert.ok(!cookies.some((c) => c.name === 'aiwebengine_oidc'), 'the flow cookie is gone');
  // Only the provider's origin besides ours.
  assert.deepEqual(p.problems().filter((x) => !x.includes(idp.issuer)), []);
});

test('test_req_auth_001_admin_ui_login_page_offers_the_provider_and_returns_to_the_page', async () => {
  const p = await openPage(browser, server.url);
  await p.goto(`${server.url}/engine/admin/groups`);
  await p.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await p.getByRole('heading', { name: 'Groups' }).waitFor();
  assert.equal(new URL(p.url()).pathname, '/engine/admin/groups');
  assert.deepEqual(p.problems().filter((x) => !x.includes(idp.issuer)), []);
});

test('test_req_std_002_browser_open_redirect_is_refused', async () => {
  const p = await openPage(browser, server.url);
  await p.goto(`${server.url}/engine/auth/oidc/idp?return_to=${encodeURIComponent('//evil.example.com/')}`);
  await p.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
  assert.equal(new URL(p.url()).origin, server.url);
});

test('test_req_auth_001_account_page_lists_unlinks_and_links_providers', async () => {
  const p = await openPage(browser, server.url);
  await p.goto(`${server.url}/engine/auth/oidc/idp?return_to=${encodeURIComponent('/engine/admin/account')}`);
  const panel = p.getByRole('region', { name: 'Sign-in providers' });
  await panel.getByText('Test IdP (admin@example.com)').waitFor();
  await panel.getByRole('button', { name: 'Unlink' }).click();
  await panel.getByText('No provider account is linked.').waitFor();
  await panel.getByRole('link', { name: 'Link Test IdP' }).click();
  await p.getByRole('region', { name: 'Sign-in providers' }).getByText('Test IdP (admin@example.com)').waitFor();
  assert.equal(new URL(p.url()).pathname, '/engine/admin/account');
  assert.deepEqual(p.problems().filter((x) => !x.includes(idp.issuer)), []);
});

test('test_req_auth_001_admin_unlinks_a_provider_on_the_users_page', async () => {
  const p = await openPage(browser, server.url);
  await p.goto(`${server.url}/engine/auth/oidc/idp?return_to=${encodeURIComponent('/engine/admin/users')}`);
  await p.getByRole('button', { name: 'Sign-in providers of admin@example.com' }).click();
  const dialog = p.getByRole('dialog');
  await dialog.getByText('Linked: Test IdP (admin@example.com).').waitFor();
  await dialog.getByRole('button', { name: 'Unlink' }).click();
  await p.getByText('Unlinked Test IdP from admin@example.com.').waitFor();
  await p.getByRole('button', { name: 'Sign-in providers of admin@example.com' }).click();
  await p.getByText('admin@example.com has no sign-in provider account linked.').waitFor();
  assert.deepEqual(p.problems().filter((x) => !x.includes(idp.issuer)), []);
});

test('test_req_auth_002_browser_logout_revokes_the_session', async () => {
  const p = await openPage(browser, server.url);
  await p.goto(`${server.url}/engine/auth/oidc/idp?return_to=%2Fengine%2Fadmin%2F`);
  await p.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
  const before = await p.request.get(`${server.url}/engine/api/me`);
  assert.equal(before.status(), 200);
  await p.goto(`${server.url}/engine/auth/logout?return_to=%2F`);
  await Promise.all([
    p.waitForURL((u) => u.origin === idp.issuer),
    p.getByRole('button', { name: 'Log out' }).click(),
  ]);
  const after = await p.request.get(`${server.url}/engine/api/me`);
  assert.equal(after.status(), 401);
});
