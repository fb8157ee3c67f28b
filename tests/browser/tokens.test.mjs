// API tokens (shown once, copy button, revoke) and sessions (revoke,
// "log out everywhere").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, apiLogin, call, shot } from './lib.mjs';

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

const bearer = (token) => call(server.url, token, 'GET', '/engine/api/me');

test('create an API token, copy it, use it, then revoke it', async () => {
  const p = await openPage(browser, server.url);
  await p.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await logIn(p);
  await p.getByRole('link', { name: 'API tokens' }).click();
  await p.getByLabel('Token name').fill('ci');
  await p.getByLabel('Expires').selectOption({ label: 'in 30 days' });
  await p.getByRole('button', { name: 'Create token' }).click();
  await p.getByRole('heading', { name: 'Token "ci" created' }).waitFor();
  const token = await p.getByLabel('New token').inputValue();
  assert.match(token, /^awt_/);
  await p.getByRole('button', { name: 'Copy', exact: true }).click();
  await p.getByText('Copied.').waitFor();
  assert.equal(await p.evaluate(() => navigator.clipboard.readText()), token);
  await p.getByRole('row', { name: /ci/ }).waitFor();
  await shot(p, 'tokens');
  assert.equal((await bearer(token)).status, 200);

  await p.getByLabel('Show the tokens of every user').check();
  await p.getByRole('row', { name: /ci.*admin@example\.com/ }).waitFor();
  await p.getByRole('button', { name: 'I have copied it; hide it' }).click();
  assert.equal(await p.getByLabel('New token').count(), 0);
  await p.getByRole('button', { name: 'Revoke ci' }).click();
  await p.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
  await p.getByText('Revoked token ci.').waitFor();
  assert.equal((await bearer(token)).status, 401);
  assert.deepEqual(p.problems(), []);
});

test('revoke another session, then log out everywhere', async () => {
  const other = await apiLogin(server.url);
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.getByRole('link', { name: 'Sessions' }).click();
  await p.getByText('this browser').waitFor();
  await shot(p, 'sessions');
  // the bearer login above is one of the other sessions: revoke them one by one
  const others = p.getByRole('button', { name: /^Revoke the session/ });
  for (let n = await others.count(); n > 0; n--) {
    await others.first().click();
    await p.waitForFunction((left) => document.querySelectorAll('button[aria-label^="Revoke the session"]').length === left, n - 1);
  }
  await p.getByText('Session revoked').waitFor();
  assert.equal((await bearer(other)).status, 401);
  await p.getByRole('button', { name: 'Log out everywhere' }).click();
  await p.getByRole('dialog').getByRole('button', { name: 'Log out everywhere' }).click();
  await p.getByText('You have logged out.').waitFor();
  await p.goto(`${server.url}/engine/admin/tokens`);
  await p.getByRole('button', { name: 'Log in' }).waitFor();
  assert.deepEqual(p.problems(), []);
});
