// Two-step login (REQ-AUTH-007) in the browser: enrol from the account
// page, log out, log in with a code, a reused code refused, a recovery
// code accepted once. Codes come from the `otpauth` npm package (an
// authenticator-side implementation), fed the secret the page shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOTP, Secret } from 'otpauth';
import { startServer, launch, openPage, logIn, fillLogin, shot, apiLogin, call } from './lib.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const EMAIL = 'totp@example.com';
const PASSWORD = 'a long totp user password';

async function logOut(p) {
  await p.getByRole('button', { name: 'Log out' }).click();
  await p.getByText('You have logged out.').waitFor();
}

// Password, then the second step with `code`.
async function logInWith(p, code) {
  await fillLogin(p, EMAIL, PASSWORD);
  await p.getByRole('heading', { name: 'Two-step login' }).waitFor();
  await p.getByLabel('Code from your authenticator app, or a recovery code').fill(code);
  await p.getByRole('button', { name: 'Verify' }).click();
}

test('test_req_auth_007 enrol on the account page, then log in with a code and a recovery code', async () => {
  const admin = await apiLogin(server.url);
  const made = await call(server.url, admin, 'POST', '/engine/api/users', { email: EMAIL, password: PASSWORD, role: 'editor' });
  assert.equal(made.status, 201, made.text);

  const p = await openPage(browser, server.url);
  await logIn(p, { email: EMAIL, password: PASSWORD });
  await p.goto(`${server.url}/engine/admin/account`);
  await p.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const qr = p.getByRole('img', { name: 'QR code to scan with an authenticator app' });
  await qr.waitFor();
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR code image renders');
  await shot(p, 'totp-qr');
  const secret = (await p.locator('#totp-secret').textContent()).trim();
  const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  await p.getByLabel('Code from the app').fill(totp.generate());
  await p.getByRole('button', { name: 'Turn on' }).click();
  const codes = p.locator('#totp-recovery li');
  await p.locator('#totp-state').waitFor();
  assert.equal(await codes.count(), 10);
  const recovery = (await codes.first().textContent()).trim();
  await shot(p, 'totp-enrolled');
  await logOut(p);

  // The enrolment used this step's code: the next step's is within the skew.
  const next = totp.generate({ timestamp: Date.now() + 30_000 });
  await logInWith(p, next);
  await p.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
  await logOut(p);

  await logInWith(p, next);
  await p.getByRole('alert').getByText('wrong or already used code').waitFor();
  assert.equal(await p.getByRole('heading', { name: 'Dashboard', exact: true }).count(), 0);
  await p.getByLabel('Code from your authenticator app, or a recovery code').fill(recovery);
  await p.getByRole('button', { name: 'Verify' }).click();
  await p.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
  await p.goto(`${server.url}/engine/admin/account`);
  await p.getByText('9 recovery codes left.').waitFor();
  await logOut(p);

  await logInWith(p, recovery);
  await p.getByRole('alert').getByText('wrong or already used code').waitFor();
  await shot(p, 'totp-login-refused');
  assert.deepEqual(p.problems(), []);

  // The admin resets it (a lost device): the password alone logs in again.
  const a = await openPage(browser, server.url);
  await logIn(a);
  await a.getByRole('link', { name: 'Users' }).click();
  await a.getByRole('row', { name: /totp@example\.com/ }).getByText('2-step', { exact: true }).waitFor();
  await a.getByRole('button', { name: `Reset the two-step login of ${EMAIL}` }).click();
  await a.getByRole('dialog').getByRole('button', { name: 'Reset two-step login' }).click();
  await a.getByText(`Reset the two-step login of ${EMAIL}.`).waitFor();
  const fresh = await openPage(browser, server.url);
  await logIn(fresh, { email: EMAIL, password: PASSWORD });
  assert.deepEqual([...a.problems(), ...fresh.problems()], []);
});

test('test_req_auth_007 a role that requires TOTP enrols at the login page before the session', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aiwebengine-totp-'));
  const config = join(dir, 'config.toml');
  writeFileSync(config, '[auth]\nrequire_totp_for = ["admin"]\n');
  const s = await startServer({ args: ['--config', config] });
  try {
    const p = await openPage(browser, s.url);
    await p.goto(`${s.url}/engine/admin/`);
    await fillLogin(p);
    await p.getByText('Your role requires an authenticator app.').waitFor();
    const secret = (await p.locator('#totp-secret').textContent()).trim();
    const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    await p.getByLabel('Code from the app').fill(totp.generate());
    await p.getByRole('button', { name: 'Turn on and log in' }).click();
    await p.getByRole('heading', { name: 'Two-step login is on' }).waitFor();
    assert.equal(await p.locator('#totp-recovery li').count(), 10);
    await shot(p, 'totp-forced-enrolment');
    await p.getByRole('button', { name: 'Continue' }).click();
    await p.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
    // Required: the account page offers no way to turn it off.
    await p.goto(`${s.url}/engine/admin/account`);
    await p.locator('#totp-state').waitFor();
    assert.equal(await p.getByRole('button', { name: 'Turn off' }).isVisible(), false);
    assert.deepEqual(p.problems(), []);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('test_req_auth_007 first-run setup with require_totp_for = ["admin"] enrols before the session', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aiwebengine-totp-'));
  const config = join(dir, 'config.toml');
  writeFileSync(config, '[auth]\nrequire_totp_for = ["admin"]\n');
  const s = await startServer({ admin: false, args: ['--config', config] });
  try {
    const p = await openPage(browser, s.url);
    await p.goto(await s.setupUrl());
    await p.getByLabel('Email').fill('first@example.com');
    await p.getByLabel('Password', { exact: true }).fill('a long enough password');
    await p.getByLabel('Password again').fill('a long enough password');
    await p.getByRole('button', { name: 'Create administrator' }).click();
    await p.getByText('Administrator first@example.com created.').waitFor();
    // No session yet: only the pending login.
    const names = (await p.context().cookies()).map((c) => c.name);
    assert.ok(names.includes('aiwebengine_totp') && !names.includes('aiwebengine_session'), names.join());
    await p.getByRole('link', { name: 'Set up two-step login' }).click();
    await p.getByText('Your role requires an authenticator app.').waitFor();
    const secret = (await p.locator('#totp-secret').textContent()).trim();
    const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    await p.getByLabel('Code from the app').fill(totp.generate());
    await p.getByRole('button', { name: 'Turn on and log in' }).click();
    await p.getByRole('heading', { name: 'Two-step login is on' }).waitFor();
    await p.getByRole('button', { name: 'Continue' }).click();
    await p.getByRole('heading', { name: 'Dashboard', exact: true }).waitFor();
    assert.deepEqual(p.problems(), []);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
