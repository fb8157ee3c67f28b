// How the UI logs in: an HttpOnly session cookie (no token in page
// storage), the CSRF header on changes, and the `next` return URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, fillLogin, setSource, apiLogin, call } from './lib.mjs';

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

test('the login page returns to the page asked for (next)', async () => {
  const p = await openPage(browser, server.url);
  await p.goto(`${server.url}/engine/admin/groups`);
  await p.getByRole('button', { name: 'Log in' }).waitFor();
  assert.match(p.url(), /\/engine\/admin\/login\?next=%2Fgroups$/);
  await fillLogin(p);
  await p.getByRole('heading', { name: 'Groups' }).waitFor();
  assert.match(p.url(), /\/engine\/admin\/groups$/);
  // a next that leaves the UI is ignored
  const q = await openPage(browser, server.url);
  await q.goto(`${server.url}/engine/admin/login?next=//evil.example.com/`);
  await fillLogin(q);
  await q.getByRole('heading', { name: 'Dashboard' }).waitFor();
  assert.deepEqual([...p.problems(), ...q.problems()], []);
});

test('the session is an HttpOnly SameSite=Lax cookie, and changes carry the CSRF header', async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  const cookies = await p.context().cookies();
  const session = cookies.find((c) => c.name === 'aiwebengine_session');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  assert.deepEqual(await p.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);
  const csrf = cookies.find((c) => c.name === 'aiwebengine_csrf').value;
  const seen = [];
  p.on('request', (r) => {
    if (r.url().includes('/engine/api/') && r.method() !== 'GET') seen.push(r.headers()['x-csrf-token']);
  });
  await p.getByRole('link', { name: 'Groups' }).click();
  await p.getByRole('button', { name: 'New group' }).click();
  await p.getByRole('dialog').getByLabel('Group name').fill('csrf-check');
  await p.getByRole('dialog').getByRole('button', { name: 'Create group' }).click();
  await p.getByText('Created group csrf-check.').waitFor();
  assert.deepEqual(seen, [csrf]);
  assert.deepEqual(p.problems(), []);
});

test('Log out ends the session on the server', async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  const before = (await p.context().cookies()).find((c) => c.name === 'aiwebengine_session').value;
  await p.getByRole('button', { name: 'Log out' }).click();
  await p.getByText('You have logged out.').waitFor();
  const res = await fetch(`${server.url}/engine/api/me`, { headers: { cookie: `aiwebengine_session=${before}` } });
  assert.equal(res.status, 401);
  assert.deepEqual(p.problems(), []);
});

test('unsaved editor text survives the session ending: log in again and it is back', async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.goto(`${server.url}/engine/admin/scripts/new`);
  await p.getByLabel('Name', { exact: true }).fill('draft.js');
  await setSource(p, 'register("/draft", () => "v1");\n');
  await p.keyboard.press('Control+S');
  await p.getByText('Saved draft.js as version 1.').waitFor();
  await setSource(p, 'register("/draft", () => "typed before the session ended");\n');
  const token = await apiLogin(server.url);
  await call(server.url, token, 'DELETE', '/engine/api/sessions');
  await p.keyboard.press('Control+S');
  await p.getByText('Your session has ended. Please log in again.').waitFor();
  assert.match(p.url(), /login\?next=%2Fscripts%2Fdraft\.js/);
  await fillLogin(p);
  await p.getByText('Your unsaved changes from before the session ended are back in the editor').waitFor();
  assert.match(await p.locator('.cm-content').textContent(), /typed before the session ended/);
  await p.getByText('unsaved changes', { exact: true }).waitFor();
  assert.deepEqual(p.problems(), []);
});
